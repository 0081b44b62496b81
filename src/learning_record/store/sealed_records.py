"""Records of the statements topic sealed with learners' data keys, and opened again: what the
API and the worker's forwarding agents write, and what the worker and ``lr replay`` read
(``domain.sealing`` does the cryptography, ``LearnerKeys`` holds the keys)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from learning_record.domain import ingest, sealing
from learning_record.domain.data_keys import DataKey
from learning_record.store.learner_keys import LearnerKeys

# The header value of a sealed record (``sealing.SEALED_HEADER``).
SEALED = b"1"
# The one learner of anonymised statements (a random actor each: docs/process.md), so that they
# do not make a key each. Not 32 hex digits: no IFI's pseudonym is ever it, nor erases it.
ANONYMOUS = "anonymous"


def is_sealed(headers: Mapping[str, bytes]) -> bool:
    return headers.get(sealing.SEALED_HEADER) == SEALED


async def sealed_record(
    keys: LearnerKeys,
    tenant: str,
    documents: Sequence[Mapping[str, Any]],
    *,
    anonymised: bool = False,
    erased: Collection[str] = (),
) -> bytes:
    """The value of a record holding ``documents``, each sealed; new learners' keys are made
    first. ``anonymised``: every person in them is a random stand-in, and they share the
    tenant's ``ANONYMOUS`` key. ``erased``: learners (by pseudonym) erased already, whose parts
    are sealed with a key made for them here and kept nowhere: they open for no one (``lr
    privacy reseal``). ``StatementInvalid`` for a document whose actor identifies nobody."""
    pseudonymise = (lambda _: ANONYMOUS) if anonymised else keys.pseudonymiser(tenant)
    cuts = [sealing.cut(document, pseudonymise) for document in documents]
    learners = set[str]().union(*(statement.learners() for statement in cuts))
    sealing_keys = await keys.sealing_keys(tenant, learners.difference(erased))
    sealing_keys |= {learner: DataKey.new(learner) for learner in learners.intersection(erased)}
    return orjson.dumps([sealing.seal(tenant, statement, sealing_keys) for statement in cuts])


async def opened_record(
    keys: LearnerKeys, tenant: str, value: bytes
) -> list[dict[str, Any] | None]:
    """The statements of a sealed record, None for each whose owner was erased.
    ``StatementInvalid`` for a value that is not a sealed record, or does not open."""
    statements = sealing.parsed_record(value)
    refs = set[Any]().union(*(statement.refs() for statement in statements))
    opening_keys = await keys.opening_keys(tenant, refs)
    return [sealing.opened(tenant, statement, opening_keys) for statement in statements]


@dataclass(frozen=True, slots=True)
class InputRecord:
    """What decoding a record of the statements topic needs of it."""

    headers: Mapping[str, bytes]
    value: bytes
    tenant: str
    trusted: bool  # the API signed it (ingest.signed_by_api)
    partition: int
    offset: int
    timestamp_ms: int


async def decoded_record(
    keys: LearnerKeys, record: InputRecord, max_direct_bytes: int
) -> list[tuple[int, dict[str, Any]]]:
    """The stored statements of a record of the statements topic, each with its place in the
    record: the one decoder of the worker and ``lr replay``. A sealed record is opened first,
    and an erased learner's statements stay closed (the others keep their places, so that a
    statement's origin never changes); a record in clear was written before the topic was
    sealed. ``StatementInvalid`` (a ``DomainError``) for anything that is not statements."""
    sealed = is_sealed(record.headers)
    # A sealed record was bounded in clear by the agent that sealed it, then grew: only the
    # topic's own bound holds for it.
    bounded = record.trusted or sealed
    ingest.check_size(record.value, trusted=bounded, max_direct_bytes=max_direct_bytes)
    if sealed:
        opened = await opened_record(keys, record.tenant, record.value)
        places = [index for index, document in enumerate(opened) if document is not None]
        if not places:
            return []
        raw: Any = [opened[index] for index in places]
    else:
        raw = ingest.loads_record(record.value)
    documents = ingest.stored_documents(
        raw,
        tenant=record.tenant,
        trusted=record.trusted,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp_ms,
    )
    if not sealed:
        places = list(range(len(documents)))
    return list(zip(places, documents, strict=True))
