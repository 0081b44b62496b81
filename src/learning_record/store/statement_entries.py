"""What the statement store takes, computed from a statement before touching Redis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.full_activity import DefinitionPart, definition_parts
from learning_record.domain.person import names_seen
from learning_record.domain.sealing import owner_ifi
from learning_record.domain.statement_index import (
    content_digest,
    index_terms,
    referred_statement,
    voided_target,
)
from learning_record.domain.xapi.attachments import referenced_sha2s
from learning_record.domain.xapi.common import Timestamp
from learning_record.platform.clock import epoch_ms


@dataclass(frozen=True, slots=True)
class Claim:
    """An id to reserve for its content (``statements.reserve``)."""

    statement_id: str
    digest: str
    voids: str | None


@dataclass(frozen=True, slots=True)
class ViewEntry:
    """A statement as the store keeps it."""

    statement_id: str
    document: bytes  # the JSON served
    digest: str  # statement_index.content_digest
    stored_ms: int
    voids: str | None  # the id of the statement it voids
    refers_to: str | None  # the id its StatementRef object points to (voiding or not)
    terms: list[str]  # statement_index.index_terms
    # What it tells of Agents and Activities (store.known_objects): nothing when it was stored
    # without the define scope.
    names: tuple[tuple[str, str], ...] = ()  # person.names_seen, by learner id
    definition_parts: tuple[DefinitionPart, ...] = ()
    # The SHA-2 of each attachment it references, and the learner id of its owner (the one
    # whose key seals it): what an erasure needs to tell the content nobody else owns.
    attachments: tuple[str, ...] = ()
    owner: str | None = None


def view_entry(
    document: Mapping[str, Any], serialised: bytes, *, defines: bool, learner_id: Pseudonymise
) -> ViewEntry:
    """The entry of a validated statement document that has its id and stored.

    ``defines``: whether it was stored with the define scope. Without it, its ids are saved
    but the LRS "SHOULD NOT update its canonical representation of any Actors or Activities"
    (xAPI Communication 4.2, scope ``define``): its names and definitions are not remembered.
    ``learner_id``: the tenant's pseudonymiser, which names the agents' indexes and names.
    """
    stored = Timestamp.parse(document["stored"]).as_datetime
    return ViewEntry(
        statement_id=str(document["id"]),
        document=serialised,
        digest=content_digest(document),
        stored_ms=epoch_ms(stored),
        voids=voided_target(document),
        refers_to=referred_statement(document),
        terms=index_terms(document, learner_id),
        names=tuple((learner_id(ifi), name) for ifi, name in names_seen(document))
        if defines
        else (),
        definition_parts=tuple(definition_parts(document)) if defines else (),
        attachments=tuple(referenced_sha2s([document])),
        owner=None if (owner := owner_ifi(document["actor"])) is None else learner_id(owner),
    )
