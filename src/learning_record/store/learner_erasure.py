"""What erasing a learner does to the Redis views (docs/privacy.md): the statements their key
sealed are purged from the statement view, the statements that only mention them keep a
placeholder in their place, the names seen with their IFI and the identity kept with their
indicators are deleted; and the state of each erasure, as ``GET /admin/erasures/{id}`` shows it.

Everything here is idempotent: an erasure interrupted (a worker restart, Redis away) is run again
from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.erasure import (
    ERASURE_SOURCE,
    State,
    names_learner,
    owned_by,
    without_learner,
)
from learning_record.domain.indicators.operations import IndicatorOp
from learning_record.domain.indicators.routing import RouteRequest, routed_operation
from learning_record.domain.indicators.state import Origin
from learning_record.domain.statement_index import AGENT, RELATED_AGENT, term
from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.indicators import AGENT_FIELD
from learning_record.store.keys import ClaimField
from learning_record.store.retired_statements import RetiredStatement
from learning_record.store.statement_scripts import ReplaceDocument
from learning_record.store.statements import erase_statements, route

# Statements read per round trip.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ErasedLearner:
    ifi: str
    learner_id: str  # the keyed pseudonym of the IFI: the name of their indexes and indicators


@dataclass(frozen=True, slots=True)
class LearnerStatement:
    statement_id: str
    sequence: int
    document: dict[str, Any]
    indexes_read: str  # its claim's index list, JSON, "" when absent


async def learner_statements(
    redis: RedisClient, tenant: str, learner: ErasedLearner
) -> list[LearnerStatement]:
    """Every statement of the view that names the learner anywhere, with its sequence and its
    claim's index list, in sequence order: those in their agent and related-agent indexes,
    and the voided ones (a void takes its target out of every index) that name
    them, found by a SCAN of the tenant's voided-by keys: a pass over the whole keyspace,
    acceptable for a request as rare as an erasure."""
    ids: set[str] = set()
    for index in _indexes(tenant, learner):
        members = await redis.zrange(index, 0, -1)
        ids.update(member.decode() for member in cast(list[bytes], members))
    voided = {
        key.decode().rsplit(_VOIDED_BY, 1)[1]
        async for key in redis.scan_iter(match=keys.voided_by(tenant, "*"), count=1000)
    }
    return [
        statement
        for statement in await _read(redis, tenant, sorted(ids | voided))
        if statement.statement_id in ids or names_learner(statement.document, learner.ifi)
    ]


def _indexes(tenant: str, learner: ErasedLearner) -> list[str]:
    """The learner's agent and related-agent indexes."""
    return [
        keys.statement_index(tenant, term(kind, learner.learner_id))
        for kind in (AGENT, RELATED_AGENT)
    ]


# What separates a voided-by key from its statement id.
_VOIDED_BY = ":voided-by:"


async def _read(redis: RedisClient, tenant: str, ordered: Sequence[str]) -> list[LearnerStatement]:
    """The statements of ``ordered`` still in the view, in sequence order."""
    found: list[LearnerStatement] = []
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        async with redis.pipeline(transaction=False) as pipe:
            for statement_id in chunk:
                pipe.get(keys.statement(tenant, statement_id))
                claim = keys.statement_claim(tenant, statement_id)
                pipe.hmget(claim, ClaimField.SEQUENCE, ClaimField.INDEXES)
            replies = await pipe.execute()
        for statement_id, document, (sequence, indexes) in zip(
            chunk, replies[::2], replies[1::2], strict=True
        ):
            if document is not None and sequence is not None:
                decoded = orjson.loads(document)
                listed = (indexes or b"").decode()
                found.append(LearnerStatement(statement_id, int(sequence), decoded, listed))
    return sorted(found, key=lambda statement: statement.sequence)


async def retractions(
    redis: RedisClient,
    tenant: str,
    owned: Sequence[LearnerStatement],
    origin_of: Callable[[int], Origin],
    learner_id: Pseudonymise,
) -> list[IndicatorOp]:
    """The retraction of each owned statement the indicators counted, as a void's, its origin
    ``origin_of(sequence)``, in sequence order (``learner_id``: the tenant's pseudonymiser).
    The first origin to retract a statement is marked: a run again gives the same
    retractions, which the indicators take once."""
    requests = [
        RouteRequest(statement.statement_id, origin_of(statement.sequence), voids=True)
        for statement in owned
    ]
    operations: list[IndicatorOp] = []
    for start in range(0, len(requests), _CHUNK):
        chunk = requests[start : start + _CHUNK]
        for request, marks in zip(chunk, await route(redis, tenant, chunk), strict=True):
            operation = routed_operation(tenant, {}, None, request, marks, learner_id)
            if operation is not None:
                operations.append(operation)
    return operations


def retired_retractions(
    tenant: str, retired: Sequence[RetiredStatement], origin_of: Callable[[int], Origin]
) -> list[IndicatorOp]:
    """The retraction of each statement that retention purged while it counted, as
    ``retractions`` gives those of the view: from the origin that applied it. One that an
    erasure retracted already (a run that stopped before its retractions were durable) is sent
    again from the same origin, which the indicators take once; one that a void retracted is
    not."""
    operations = []
    for statement in retired:
        applied_at, retracted_at = statement.applied_at, statement.retracted_at
        if applied_at is None or statement.contribution is None:
            continue
        if retracted_at is None:
            retracted_at = origin_of(statement.sequence)
        elif retracted_at[0] < ERASURE_SOURCE:
            continue
        operations.append(
            IndicatorOp("retract", retracted_at, tenant, statement.contribution, applied_at)
        )
    return operations


async def forget_retired(
    redis: RedisClient, tenant: str, learner: ErasedLearner, statement_ids: Sequence[str]
) -> None:
    """What retention kept of these statements of the learner, once retracted: only those read,
    so that one retention purges meanwhile is read by the next pass."""
    if statement_ids:
        await redis.hdel(keys.retired(tenant, learner.learner_id), *statement_ids)


async def forget_statements(
    redis: RedisClient,
    tenant: str,
    learner: ErasedLearner,
    statements: Sequence[LearnerStatement],
) -> tuple[int, int]:
    """Purge the learner's own statements and put a placeholder for them in the others; how
    many of each. A statement that changed meanwhile is left for the caller's next run."""
    ifi = learner.ifi
    owned = [s.statement_id for s in statements if owned_by(s.document, ifi)]
    purged = await erase_statements(redis, tenant, owned)
    leaving = _indexes(tenant, learner)
    replaced = 0
    for statement in statements:
        if owned_by(statement.document, ifi):
            continue
        document = orjson.dumps(without_learner(statement.document, ifi))
        replace = ReplaceDocument(
            tenant, statement.statement_id, document, statement.indexes_read, leaving
        )
        replaced += int(await lua.run(redis, replace))
    return purged, replaced


async def forget_identity(redis: RedisClient, tenant: str, learner: ErasedLearner) -> None:
    """The names seen with the IFI (GET /agents), and the identity kept with the learner's
    indicators."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.delete(keys.known_agent(tenant, learner.learner_id))
        pipe.hdel(keys.indicators(tenant, "learner", learner.learner_id), AGENT_FIELD)
        await pipe.execute()


async def set_state(
    redis: RedisClient, tenant: str, erasure_id: str, state: State, at: str
) -> None:
    """``pending`` with when it was requested, or ``done`` with when it finished."""
    moment = "requested" if state == "pending" else "finished"
    await redis.hset(keys.erasure(tenant, erasure_id), mapping={"state": state, moment: at})


async def erasure_state(redis: RedisClient, tenant: str, erasure_id: str) -> dict[str, str] | None:
    held = cast(dict[bytes, bytes], await redis.hgetall(keys.erasure(tenant, erasure_id)))
    return {name.decode(): value.decode() for name, value in held.items()} or None
