"""The statement agent (``stream.agents.normalise``) under Faust's ``agent.test_context()``: the
real agent function, records put into an in-memory channel instead of a topic, over a real
``redis-server``, in seconds. What it sends to Kafka is kept by ``RecordingTopics``; what needs
Kafka itself (offsets, holes, redelivery after a crash) stays in tests/integration."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from faust.types.agents import AgentTestWrapperT
from mode import Service
from redis.asyncio import Redis

from learning_record.domain import ingest
from learning_record.domain.identity import ifi_of_raw, ifi_properties
from learning_record.domain.indicators.contributions import contribution_of
from learning_record.domain.indicators.operations import IndicatorOp, application
from learning_record.domain.indicators.state import origin_of
from learning_record.domain.xapi.verbs import VOIDED
from learning_record.store import keys
from learning_record.store.indicators import AGENT_FIELD
from learning_record.store.statements import fetch_single, fetch_statement
from learning_record.stream.agents import normalise
from learning_record.stream.partitioning import partition_of
from tests.component.doubles import ACTIVITY_OPS, LEARNER_OPS, RecordingTopics
from tests.pseudonyms import learner_ids
from tests.unit.factories import (
    OTHER_STATEMENT_ID,
    REMOVE,
    STATEMENT_ID,
    make_statement,
    make_statement_ref,
)
from tests.waiting import until

TENANT = "acme"
LEARNER_ID = learner_ids(TENANT)
HEADERS = {"lr-tenant": TENANT.encode()}
KAFKA_TIME_S = 1_796_302_731.466  # the records' timestamp: the stored time of direct records
STORED = "2026-12-03T12:58:51.466Z"
THIRD_STATEMENT_ID = "5b6a3ac4-0a3e-4f4b-9a39-c5e3e7b3d0a1"
VOID = make_statement(
    id=OTHER_STATEMENT_ID, verb={"id": VOIDED}, object=make_statement_ref(id=STATEMENT_ID)
)


@pytest.fixture
async def agent(
    sent: RecordingTopics, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AgentTestWrapperT]:
    monkeypatch.setattr(normalise, "redis", redis)
    async with normalise.normalise.test_context() as under_test:
        yield under_test


async def put(agent: AgentTestWrapperT, value: bytes) -> None:
    """One record of the statements topic (partition 0, at the wrapper's next offset)."""
    await agent.put(value, headers=HEADERS, timestamp=KAFKA_TIME_S)


async def stored_document(redis: Redis, statement_id: str) -> dict[str, Any]:
    stored = await fetch_statement(redis, TENANT, statement_id)
    assert stored is not None
    return dict(orjson.loads(stored))


async def test_a_statement_is_stored_and_its_application_sent_to_its_partitions(
    agent: AgentTestWrapperT, sent: RecordingTopics, redis: Redis
) -> None:
    await put(agent, orjson.dumps(make_statement()))
    await until(sent.operations_sent, what="the application sent")

    document = await stored_document(redis, STATEMENT_ID)
    assert document["stored"] == STORED
    assert document["authority"] == ingest.kafka_authority(TENANT)
    applied = _application(document, offset=0)
    assert sent.operations(LEARNER_OPS) == [(partition_of(applied.learner_key().encode()), applied)]
    activity_key = applied.activity_key()
    assert activity_key is not None
    assert sent.operations(ACTIVITY_OPS) == [(partition_of(activity_key.encode()), applied)]
    assert sent.dead_letters() == []
    # No operation names the learner: their IFI is kept in Redis, beside their indicators.
    assert applied.contribution.learner == LEARNER_ID(ifi_of_raw(document["actor"]))
    mirror = keys.indicators(TENANT, "learner", applied.contribution.learner)
    kept = await redis.hget(mirror, AGENT_FIELD)
    assert kept is not None
    assert orjson.loads(kept) == ifi_properties(document["actor"])


async def test_an_idle_agent_waits_for_its_next_record_without_a_timer(
    agent: AgentTestWrapperT, sent: RecordingTopics, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Faust's own batching woke every ``LR_WORKER__BATCH_WITHIN_S`` (10 ms) with nothing to do:
    about 50 waits in the half second below, most of an idle worker's CPU (stream/take.py)."""
    waits = 0
    wait_first = Service.wait_first

    async def counted(self: Service, *coros: Any, **options: Any) -> Any:
        nonlocal waits
        waits += 1
        return await wait_first(self, *coros, **options)

    monkeypatch.setattr(Service, "wait_first", counted)
    await asyncio.sleep(0.5)  # the idle time under test, not a wait for a condition
    assert waits == 0

    await put(agent, orjson.dumps(make_statement()))
    await until(sent.operations_sent, what="the application sent")
    assert waits >= 1  # the batch's own wait for more records, up to 10 ms


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "invalid JSON: invalid literal, expected 'null': line 1 column 1 (char 0)"),
        (orjson.dumps(make_statement(actor=REMOVE)), "actor: is required"),
    ],
    ids=["not JSON", "not a statement"],
)
async def test_a_malformed_record_is_dead_lettered_with_its_reason_and_its_neighbour_goes_on(
    agent: AgentTestWrapperT, sent: RecordingTopics, redis: Redis, value: bytes, reason: str
) -> None:
    await put(agent, value)
    await put(agent, orjson.dumps(make_statement()))
    await until(sent.operations_sent, what="the neighbour's application sent")

    assert sent.dead_letters() == [(value, reason)]
    applied = _application(await stored_document(redis, STATEMENT_ID), offset=1)
    assert [operation for _, operation in sent.operations(LEARNER_OPS)] == [applied]


async def test_a_void_retracts_the_application_of_its_target(
    agent: AgentTestWrapperT, sent: RecordingTopics, redis: Redis
) -> None:
    await put(agent, orjson.dumps(make_statement()))
    await until(sent.operations_sent, what="the application sent")
    await put(agent, orjson.dumps(VOID))
    await until(sent.operations_sent, lambda sent: sent == 2, what="the retraction sent")

    target = await stored_document(redis, STATEMENT_ID)
    contribution = contribution_of(target, LEARNER_ID)
    assert contribution is not None
    retracted = IndicatorOp("retract", origin_of(0, 1, 0), TENANT, contribution, origin_of(0, 0, 0))
    assert [operation for _, operation in sent.operations(LEARNER_OPS)] == [
        _application(target, offset=0),
        retracted,
    ]
    assert await fetch_single(redis, TENANT, STATEMENT_ID, voided=True) is not None


async def test_a_statement_voided_before_it_arrives_never_counts(
    agent: AgentTestWrapperT, sent: RecordingTopics, redis: Redis
) -> None:
    await put(agent, orjson.dumps(VOID))
    await put(agent, orjson.dumps(make_statement()))
    await put(agent, orjson.dumps(make_statement(id=THIRD_STATEMENT_ID)))
    # The agent takes records in order: once the third counts, the first two were routed.
    await until(sent.operations_sent, what="the third statement's application sent")

    third = await stored_document(redis, THIRD_STATEMENT_ID)
    assert [operation for _, operation in sent.operations(LEARNER_OPS)] == [
        _application(third, offset=2)
    ]
    assert await fetch_single(redis, TENANT, STATEMENT_ID, voided=True) is not None


def _application(document: dict[str, Any], offset: int) -> IndicatorOp:
    """The application of a stored statement, the only one of the record at ``offset``, as it
    travels: without the learner's identifying properties, which stay in Redis."""
    contribution = contribution_of(document, LEARNER_ID)
    assert contribution is not None
    applied = application(TENANT, document, contribution, origin_of(0, offset, 0))
    return replace(applied, agent=None)
