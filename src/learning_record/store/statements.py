"""The statement store: ids reserved for their content, statement documents, their indexes.

Writers: the API reserves a batch's ids (``reserve``), produces it to Kafka, then writes it
(``write_view``); the worker writes what it consumes (``write_view`` again). Writes are
first-write-wins, so the API's write and the worker's later write of the same statement agree,
and a replay rebuilds the same view. The scripts are described in ``store.statement_scripts``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import orjson

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.indicators.operations import RoutedStatement
from learning_record.domain.indicators.routing import VOIDED_FIRST, RouteMarks, RouteRequest
from learning_record.domain.indicators.state import Origin
from learning_record.domain.statement_index import (
    AGENT,
    StatementConflict,
    VoidingVoidingStatement,
    term,
)
from learning_record.store import keys, known_objects, lua
from learning_record.store.attachments import own_attachments
from learning_record.store.connection import RedisClient
from learning_record.store.keys import ClaimField
from learning_record.store.retired_statements import kept_of
from learning_record.store.scan import unlink_matching
from learning_record.store.statement_entries import Claim, ViewEntry
from learning_record.store.statement_scripts import (
    DueStatement,
    PurgeView,
    ReserveStatements,
    RouteStatements,
    WriteView,
    parsed_origin,
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


async def reserve(
    redis: RedisClient, tenant: str, claims: Sequence[Claim], now_ms: int
) -> list[Reservation]:
    """Reserve every id of a batch for its content, atomically: all or none.

    Raises ``StatementConflict`` when an id is held for other content, even by a concurrent
    request, and ``VoidingVoidingStatement`` when a known target voids another statement.
    Stored times handed out never decrease, so the sequence order is the stored order.
    """
    outcome = cast(list[Any], await lua.run(redis, ReserveStatements(tenant, claims, now_ms)))
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


async def write_view(redis: RedisClient, tenant: str, entries: Sequence[ViewEntry]) -> WriteOutcome:
    """Write statements and their index entries; those already in the view are left alone.

    Called again with the keys the script found in the data (statement references) until it
    has declared every key it touches; each call leaves what the earlier ones wrote alone. Then
    what the statements tell of Agents and Activities is remembered (``known_objects``)."""
    await own_attachments(
        redis, tenant, [(entry.owner, entry.attachments) for entry in entries if entry.attachments]
    )
    call = WriteView(tenant, entries)
    written = 0
    while True:
        verdict, count, detail, *done = cast(list[Any], await lua.run(redis, call))
        written += int(count)
        if verdict == b"done":
            conflicts = [conflict.decode() for conflict in detail]
            differing = {other.decode() for other in done[0]}
            break
        found = tuple(key.decode() for key in detail)
        call = replace(call, found_keys=call.found_keys + found)
    # Statements already in the view too (a writer that stopped in between left them to this
    # one, and remembering again changes nothing), but not other content under their ids.
    held = differing.union(conflicts)
    await known_objects.remember(redis, tenant, [e for e in entries if e.statement_id not in held])
    return WriteOutcome(written, conflicts)


async def fetch_statement(redis: RedisClient, tenant: str, statement_id: str) -> bytes | None:
    """The stored document, voided or not."""
    return cast(bytes | None, await redis.get(keys.statement(tenant, statement_id)))


async def missing_from_view(
    redis: RedisClient, tenant: str, statement_ids: Sequence[str], chunk: int = 1000
) -> list[str]:
    """The ids among ``statement_ids`` whose document is not in the view (``lr verify``)."""
    missing: list[str] = []
    for start in range(0, len(statement_ids), chunk):
        ids = statement_ids[start : start + chunk]
        async with redis.pipeline(transaction=False) as pipe:
            for statement_id in ids:
                pipe.exists(keys.statement(tenant, statement_id))
            found = await pipe.execute()
        missing += [statement_id for statement_id, held in zip(ids, found, strict=True) if not held]
    return missing


async def fetch_single(
    redis: RedisClient, tenant: str, statement_id: str, *, voided: bool
) -> bytes | None:
    """The statement asked by statementId (``voided=False``: None when it is voided) or by
    voidedStatementId (``voided=True``: None unless it is voided), xAPI 2.1.4.s1.b1."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(keys.statement(tenant, statement_id))
        pipe.exists(keys.voided_by(tenant, statement_id))
        pipe.hget(keys.statement_claim(tenant, statement_id), ClaimField.VOIDS)
        document, has_voider, voids = await pipe.execute()
    if document is None:
        return None
    # A voiding statement cannot be voided (xAPI Data 2.3.2.s2.b3).
    is_voided = bool(has_voider) and voids != b"1"
    return cast(bytes, document) if is_voided == voided else None


async def forget_view(redis: RedisClient, tenant: str = "*") -> int:
    """Delete the statement view of one tenant (or all, ``*``); the number of keys deleted."""
    return await unlink_matching(redis, keys.statement_view_patterns(tenant))


# --- Indicator routing ---------------------------------------------------------------------


async def route(
    redis: RedisClient, tenant: str, requests: Sequence[RouteRequest]
) -> list[RouteMarks]:
    """Mark the first origin that routes each statement, atomically (``route_statements.lua``);
    the marks of the statement each request names, read after marking, for the routing rule
    (``domain.indicators.routing``)."""
    answers = cast(list[Any], await lua.run(redis, RouteStatements(tenant, requests)))
    marks: list[RouteMarks] = []
    for request, answer in zip(requests, answers, strict=True):
        if request.voids:
            applied_by, retracted_by, target_document = answer
            retractor = None if retracted_by is None else parsed_origin(retracted_by)
            marks.append(RouteMarks(_applier(applied_by), retractor, target_document))
        else:
            marks.append(RouteMarks(_applier(answer)))
    return marks


def _applier(applied_by: bytes | None) -> Origin | Literal["void"] | None:
    if applied_by is None:
        return None
    if applied_by == VOIDED_FIRST.encode():
        return VOIDED_FIRST
    return parsed_origin(applied_by)


async def routed_statements(
    redis: RedisClient, tenant: str, learner_id: str, chunk: int = 500
) -> AsyncIterator[RoutedStatement]:
    """Every statement of the learner's agent index (as actor, or as an Agent object) that the
    indicators applied, with where the application (and retraction) came from: what a recount
    of extremes reads, rarely (see ``indicators.extremes``), to count exactly what each value
    took, once it kept those whose actor is the learner. The index is named by the learner id,
    the keyed pseudonym of the IFI (an erased learner's is gone: nothing to count)."""
    index = keys.statement_index(tenant, term(AGENT, learner_id))
    start = 0
    while ids := [
        i.decode() for i in cast(list[bytes], await redis.zrange(index, start, start + chunk - 1))
    ]:
        start += chunk
        async with redis.pipeline(transaction=False) as pipe:
            for statement_id in ids:
                pipe.hmget(
                    keys.statement_claim(tenant, statement_id),
                    ClaimField.APPLIED_BY,
                    ClaimField.RETRACTED_BY,
                )
                pipe.get(keys.statement(tenant, statement_id))
            replies = await pipe.execute()
        for (applied, retracted), document in zip(replies[::2], replies[1::2], strict=True):
            applied_at = _applier(applied)
            if not isinstance(applied_at, tuple) or document is None:
                continue
            retracted_at = parsed_origin(retracted) if retracted is not None else None
            yield RoutedStatement(orjson.loads(document), applied_at, retracted_at)


async def purge_view(
    redis: RedisClient, tenant: str, before_ms: int, learner_id: Pseudonymise, most: int = 500
) -> int:
    """Forget up to ``most`` statements of the view stored before ``before_ms`` (retention: the
    statements topic keeps them); the number forgotten. What an erasure of its owner will need
    is kept of each (``retired_statements``; ``learner_id``: the tenant's pseudonymiser). Keys
    are declared from what is read first; one that changed meanwhile is left for the next call
    (``purge_view.lua``)."""
    expiry = keys.statement_expiry(tenant)
    due_ids = cast(
        list[bytes], await redis.zrangebyscore(expiry, "-inf", f"({before_ms}", start=0, num=most)
    )
    ids = [due_id.decode() for due_id in due_ids]
    return await _purge(redis, tenant, before_ms, ids, learner_id=learner_id)


# A cutoff after every stored time: what an erasure purges is due whenever it was stored.
_ANY_TIME_MS = 2**62


async def erase_statements(redis: RedisClient, tenant: str, statement_ids: Sequence[str]) -> int:
    """Forget these statements from the view, whenever stored (erasure: the statements topic
    keeps them sealed with keys that are deleted); the number forgotten. Each keeps its claim,
    without its index list: its id stays taken, and a record of it read again neither writes it
    back nor counts it again. One that changed meanwhile is left: the caller reads again."""
    return await _purge(redis, tenant, _ANY_TIME_MS, statement_ids, keep_claims=True)


async def _purge(
    redis: RedisClient,
    tenant: str,
    cutoff_ms: int,
    statement_ids: Sequence[str],
    *,
    keep_claims: bool = False,
    learner_id: Pseudonymise | None = None,
) -> int:
    """Purge with the claims' index lists as read now; with ``learner_id`` (retention), keep
    what an erasure needs of each statement."""
    if not statement_ids:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for statement_id in statement_ids:
            pipe.hget(keys.statement_claim(tenant, statement_id), ClaimField.INDEXES)
        if learner_id is not None:  # an erasure has read the documents already
            for statement_id in statement_ids:
                pipe.get(keys.statement(tenant, statement_id))
        replies = cast(list[bytes | None], await pipe.execute())
    count = len(statement_ids)
    due = []
    for n, statement_id in enumerate(statement_ids):
        due_statement = DueStatement(statement_id, (replies[n] or b"").decode())
        document = replies[count + n] if learner_id is not None else None
        if learner_id is not None and document is not None:
            kept = kept_of(orjson.loads(document), learner_id)
            if kept is not None:
                retired_key = keys.retired(tenant, kept.owner)
                due_statement = replace(due_statement, retired_key=retired_key, kept=kept.text)
        due.append(due_statement)
    return int(await lua.run(redis, PurgeView(tenant, cutoff_ms, due, keep_claims)))


async def tenants_with_statements(redis: RedisClient) -> list[str]:
    found = [key async for key in redis.scan_iter(match=keys.statement_expiry("*"), count=1000)]
    return sorted({keys.tenant_of_key(key.decode()) for key in found})
