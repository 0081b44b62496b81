"""What view retention keeps of a statement it purges, for an erasure of its owner
(docs/privacy.md).

Once retention purges a statement, its claim goes with it: the origin that applied it to the
indicators, and whether a void retracted it since. An erasure of its owner needs both to retract
it exactly, and its attachments to release them. So the purge keeps, in the owner's ``retired``
hash (``keys.retired``), one short entry per statement: that origin and the one that
retracted it ("-" for none), its sequence, and the JSON ``kept_of`` gives (its contribution row
and attachments). About 370 bytes per statement, for as long as Redis holds them; an erasure
deletes its learner's once it retracted them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import orjson

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.indicators.contributions import Contribution, contribution_of
from learning_record.domain.indicators.state import Origin
from learning_record.domain.sealing import owner_ifi
from learning_record.domain.xapi.attachments import referenced_sha2s
from learning_record.store import keys
from learning_record.store.connection import RedisClient
from learning_record.store.statement_scripts import parsed_origin

# No origin, in a retired entry (purge_view.lua writes it).
NONE = "-"


@dataclass(frozen=True, slots=True)
class Kept:
    """What to keep of one statement, and in whose hash."""

    owner: str  # the learner id of its owner
    text: str  # JSON: its contribution row (or null) and the SHA-2 of its attachments


@dataclass(frozen=True, slots=True)
class RetiredStatement:
    statement_id: str
    sequence: int
    applied_at: Origin | None  # None: it never counted
    retracted_at: Origin | None  # the void or erasure that retracted it, if one did
    contribution: Contribution | None
    attachments: tuple[str, ...]


def kept_of(document: Mapping[str, Any], learner_id: Pseudonymise) -> Kept | None:
    """What retention keeps of a view statement, or None when an erasure would have nothing to
    do with it: its actor identifies nobody, or it counts for nothing (a void) and references
    no attachment. ``learner_id``: the tenant's pseudonymiser."""
    owner = owner_ifi(document.get("actor"))
    if owner is None:
        return None
    contribution = contribution_of(document, learner_id)
    attachments = referenced_sha2s([document])
    if contribution is None and not attachments:
        return None
    kept = {"c": None if contribution is None else contribution.to_row(), "x": attachments}
    return Kept(learner_id(owner), orjson.dumps(kept).decode())


async def retired_statements(
    redis: RedisClient, tenant: str, learner_id: str
) -> list[RetiredStatement]:
    """What retention kept of the learner's statements, in sequence order."""
    held = cast(dict[bytes, bytes], await redis.hgetall(keys.retired(tenant, learner_id)))
    return sorted(
        (_parsed(statement_id.decode(), entry.decode()) for statement_id, entry in held.items()),
        key=lambda retired: retired.sequence,
    )


def _parsed(statement_id: str, entry: str) -> RetiredStatement:
    applied, retracted, sequence, text = entry.split(" ", 3)
    kept = orjson.loads(text)
    row = kept["c"]
    return RetiredStatement(
        statement_id,
        int(sequence),
        _origin(applied),
        _origin(retracted),
        None if row is None else Contribution.from_row(row),
        tuple(kept["x"]),
    )


def _origin(text: str) -> Origin | None:
    return None if text == NONE else parsed_origin(text.encode())
