"""The statement store: ids reserved for their content, statement documents, their indexes.

Writers: the API reserves a batch's ids (``reserve``), produces it to Kafka, then writes it
(``write_view``); the worker writes what it consumes (``write_view`` again). Writes are
first-write-wins, so the API's write and the worker's later write of the same statement agree,
and a replay rebuilds the same view. The Lua scripts are in ``store.statement_scripts``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import orjson
from redis.asyncio import Redis

from learning_record.domain.errors import UnidentifiedActor
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.indicators.operations import RoutedStatement, RouteRequest
from learning_record.domain.indicators.state import Origin
from learning_record.domain.statement_index import (
    AGENT,
    StatementConflict,
    VoidingVoidingStatement,
    content_digest,
    index_terms,
    referred_statement,
    term,
    voided_target,
)
from learning_record.domain.xapi.common import Timestamp
from learning_record.platform.clock import epoch_ms
from learning_record.store import keys, statement_scripts


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


def view_entry(document: Mapping[str, Any], serialised: bytes) -> ViewEntry:
    """The entry of a validated statement document that has its id and stored."""
    stored = Timestamp.parse(document["stored"]).as_datetime
    return ViewEntry(
        statement_id=str(document["id"]),
        document=serialised,
        digest=content_digest(document),
        stored_ms=epoch_ms(stored),
        voids=voided_target(document),
        refers_to=referred_statement(document),
        terms=index_terms(document),
    )


# --- Reservation ------------------------------------------------------------------------------

ReservationState = Literal["new", "pending", "stored"]


@dataclass(frozen=True, slots=True)
class Reservation:
    """An id held for its content: ``new`` now, ``pending`` since an earlier request that did
    not reach the view (produce it again), or ``stored`` (nothing to do)."""

    state: ReservationState
    sequence: int
    stored_ms: int


@dataclass(frozen=True, slots=True)
class Claim:
    statement_id: str
    digest: str
    voids: str | None


async def reserve(
    redis: Redis, tenant: str, claims: Sequence[Claim], now_ms: int
) -> list[Reservation]:
    """Reserve every id of a batch for its content, atomically: all or none.

    Raises ``StatementConflict`` when an id is held for other content, even by a concurrent
    request, and ``VoidingVoidingStatement`` when a known target voids another statement.
    Stored times handed out never decrease, so the sequence order is the stored order.
    """
    targets = [c.voids for c in claims if c.voids is not None]
    keys_ = [
        keys.statement_sequence(tenant),
        keys.statement_last_stored(tenant),
        *(keys.statement_claim(tenant, c.statement_id) for c in claims),
        *(keys.statement_claim(tenant, target) for target in targets),
    ]
    args: list[str | int] = [now_ms]
    next_target = 2 + len(claims) + 1  # Lua's 1-based index of the first target claim
    for claim in claims:
        args += [claim.digest, "1" if claim.voids else "0", next_target if claim.voids else 0]
        next_target += 1 if claim.voids else 0
    script = redis.register_script(statement_scripts.RESERVE)
    outcome = cast(list[Any], await script(keys=keys_, args=args))
    verdict = outcome[0].decode()
    if verdict == "conflict":
        raise StatementConflict(claims[int(outcome[1]) - 1].statement_id)
    if verdict == "voids_voiding":
        index = int(outcome[1]) - 1
        raise VoidingVoidingStatement(
            f"[{index}].object.id" if len(claims) > 1 else "object.id",
            "voids a voiding statement, which cannot be voided (xAPI Data 2.3.2.s1)",
        )
    return [
        Reservation(cast(ReservationState, state.decode()), int(sequence), int(stored))
        for state, sequence, stored in outcome[1]
    ]


# --- The view ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    written: int
    conflicts: list[str]  # ids claimed for other content: not written


async def write_view(redis: Redis, tenant: str, entries: Sequence[ViewEntry]) -> WriteOutcome:
    """Write statements and their index entries; those already in the view are left alone."""
    keys_ = [
        keys.statement_sequence(tenant),
        keys.statement_last_stored(tenant),
        keys.statement_order(tenant),
        keys.statement_stored_times(tenant),
        keys.statement_stored_marks(tenant),
        keys.statement_expiry(tenant),
    ]
    args: list[str | int | bytes] = []
    for entry in entries:
        keys_ += [
            keys.statement(tenant, entry.statement_id),
            keys.statement_claim(tenant, entry.statement_id),
            keys.voided_by(tenant, entry.statement_id),
            keys.targeted_by(tenant, entry.statement_id),
        ]
        if entry.refers_to is not None:
            keys_ += [
                keys.statement_claim(tenant, entry.refers_to),
                keys.voided_by(tenant, entry.refers_to),
                keys.targeted_by(tenant, entry.refers_to),
            ]
        keys_ += [keys.statement_index(tenant, term) for term in entry.terms]
        args += [
            entry.statement_id,
            entry.document,
            entry.digest,
            entry.stored_ms,
            "1" if entry.voids else "0",
            len(entry.terms),
            entry.refers_to or "",
        ]
    script = redis.register_script(statement_scripts.WRITE)
    written, conflicts = cast(list[Any], await script(keys=keys_, args=args))
    return WriteOutcome(int(written), [c.decode() for c in conflicts])


async def fetch_statement(redis: Redis, tenant: str, statement_id: str) -> bytes | None:
    """The stored document, voided or not."""
    return cast(bytes | None, await redis.get(keys.statement(tenant, statement_id)))


async def fetch_single(
    redis: Redis, tenant: str, statement_id: str, *, voided: bool
) -> bytes | None:
    """The statement asked by statementId (``voided=False``: None when it is voided) or by
    voidedStatementId (``voided=True``: None unless it is voided), xAPI 2.1.4.s1.b1."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(keys.statement(tenant, statement_id))
        pipe.exists(keys.voided_by(tenant, statement_id))
        pipe.hget(keys.statement_claim(tenant, statement_id), "v")
        document, has_voider, voids = await pipe.execute()
    if document is None:
        return None
    # A voiding statement cannot be voided (xAPI Data 2.3.2.s2.b3).
    is_voided = bool(has_voider) and voids != b"1"
    return cast(bytes, document) if is_voided == voided else None


async def forget_view(redis: Redis, tenant: str = "*") -> int:
    """Delete the statement view of one tenant (or all, ``*``); the number of keys deleted."""
    deleted = 0
    for pattern in keys.statement_view_patterns(tenant):
        batch: list[bytes] = []
        async for key in redis.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                deleted += int(await redis.unlink(*batch))
                batch.clear()
        if batch:
            deleted += int(await redis.unlink(*batch))
    return deleted


# --- Indicator routing ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retraction:
    """A void's answer: retract the target, which the operation at ``applied_at`` applied."""

    target_document: bytes
    applied_at: Origin


async def route(
    redis: Redis, tenant: str, requests: Sequence[RouteRequest]
) -> list[bool | Retraction | None]:
    """The view's decision for each request, made atomically and once per statement (the
    ``ROUTE`` script): True/False for an application, a Retraction or None for a void."""
    keys_: list[str] = []
    args: list[str] = []
    for request in requests:
        claim = keys.statement_claim(tenant, request.statement_id)
        if request.voids:
            keys_ += [claim, keys.statement(tenant, request.statement_id)]
        else:
            keys_ += [claim, keys.voided_by(tenant, request.statement_id)]
        args += ["v" if request.voids else "a", _origin_text(request.origin)]
    script = redis.register_script(statement_scripts.ROUTE)
    answers = cast(list[Any], await script(keys=keys_, args=args))
    decisions: list[bool | Retraction | None] = []
    for request, answer in zip(requests, answers, strict=True):
        if not request.voids:
            decisions.append(answer == 1)
        elif isinstance(answer, list):
            document, applied_at = answer
            decisions.append(Retraction(document, _origin(applied_at)))
        else:
            decisions.append(None)
    return decisions


def _origin_text(origin: Origin) -> str:
    return f"{origin[0]}:{origin[1]}"


def _origin(text: bytes) -> Origin:
    partition, _, position = text.decode().partition(":")
    return int(partition), int(position)


async def routed_statements(
    redis: Redis, tenant: str, learner_ifi: str, chunk: int = 500
) -> AsyncIterator[RoutedStatement]:
    """Every statement of a learner (as actor) that the indicators applied, with where the
    application (and retraction) came from: what a recount of extremes reads, rarely (see
    ``indicators.extremes``), to count exactly what each value took."""
    index = keys.statement_index(tenant, term(AGENT, learner_ifi))
    start = 0
    while ids := [
        i.decode() for i in cast(list[bytes], await redis.zrange(index, start, start + chunk - 1))
    ]:
        start += chunk
        async with redis.pipeline(transaction=False) as pipe:
            for statement_id in ids:
                pipe.hmget(keys.statement_claim(tenant, statement_id), "a", "x")
                pipe.get(keys.statement(tenant, statement_id))
            replies = await pipe.execute()
        for (applied, retracted), document in zip(replies[::2], replies[1::2], strict=True):
            if applied in (None, b"void") or document is None:
                continue
            decoded = orjson.loads(document)
            if _actor_ifi(decoded) == learner_ifi:
                retracted_at = _origin(retracted) if retracted is not None else None
                yield RoutedStatement(decoded, _origin(applied), retracted_at)


def _actor_ifi(document: Mapping[str, Any]) -> str | None:
    try:
        return ifi_of_raw(document["actor"])
    except UnidentifiedActor:
        return None


async def purge_view(redis: Redis, tenant: str, before_ms: int, most: int = 500) -> int:
    """Forget up to ``most`` statements of the view stored before ``before_ms`` (retention: the
    statements topic keeps them); the number forgotten."""
    script = redis.register_script(statement_scripts.PURGE)
    purged = await script(
        keys=[
            keys.statement_order(tenant),
            keys.statement_stored_times(tenant),
            keys.statement_stored_marks(tenant),
            keys.statement_expiry(tenant),
        ],
        args=[keys.tenant_prefix(tenant), before_ms, most],
    )
    return int(purged)


async def tenants_with_statements(redis: Redis) -> list[str]:
    found = [key async for key in redis.scan_iter(match=keys.statement_expiry("*"), count=1000)]
    return sorted({keys.tenant_of_key(key.decode()) for key in found})
