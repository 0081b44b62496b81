"""The indicator agents (``stream.agents.learner_indicators``, ``activity_indicators``) under
Faust's ``agent.test_context()``: the real agent functions and tables (``memory://``) over a
real ``redis-server``, in seconds. Their table changelog is played by ``TableOnlyChangelog``,
their dead-letter topic by ``RecordingTopics``; restoring a table from its changelog after a
crash needs Kafka, and stays in tests/integration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from faust.types.agents import AgentTestWrapperT
from redis.asyncio import Redis

from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.indicators import Entity, Window, read_indicators
from learning_record.domain.indicators.contributions import contribution_of
from learning_record.domain.indicators.operations import (
    IndicatorOp,
    application,
    encode_operations,
)
from learning_record.domain.indicators.reference import compute_indicators
from learning_record.domain.indicators.state import origin_of
from learning_record.domain.xapi import parse_statement
from learning_record.store import indicators as view
from learning_record.stream import indicator_state
from learning_record.stream.agents.activity_indicators import keep_activity_indicators
from learning_record.stream.agents.learner_indicators import keep_learner_indicators
from tests.component.doubles import RecordingTopics, TableOnlyChangelog
from tests.pseudonyms import learner_ids
from tests.unit.factories import make_statement
from tests.waiting import until

TENANT = "acme"
AS_OF = datetime(2026, 12, 3, 12, tzinfo=UTC)
DOCUMENT = parse_statement(make_statement(stored="2021-11-29T23:10:00.000Z")).to_document()
LEARNER_ID = learner_ids(TENANT)
CONTRIBUTION = contribution_of(DOCUMENT, LEARNER_ID)
assert CONTRIBUTION is not None
LEARNER_IFI = ifi_of_raw(DOCUMENT["actor"])
ACTIVITY_ID = DOCUMENT["object"]["id"]
APPLIED_AT = origin_of(0, 0, 0)
APPLICATION = application(TENANT, DOCUMENT, CONTRIBUTION, APPLIED_AT)
RETRACTION = IndicatorOp("retract", origin_of(1, 0, 0), TENANT, CONTRIBUTION, APPLIED_AT)


@pytest.fixture(autouse=True)
def changelog_double(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[TableOnlyChangelog]:
    monkeypatch.setattr(indicator_state, "redis", redis)
    double = TableOnlyChangelog()
    double.install(monkeypatch)
    yield double
    double.forget()


@pytest.fixture(params=[Entity.LEARNER, Entity.ACTIVITY])
async def side(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[Entity, AgentTestWrapperT]]:
    """One indicator agent, and the entity whose indicators it keeps."""
    entity: Entity = request.param
    agent = keep_learner_indicators if entity is Entity.LEARNER else keep_activity_indicators
    async with agent.test_context() as under_test:
        yield entity, under_test


async def indicators(redis: Redis, entity: Entity) -> dict[str, Any]:
    """The lifetime indicators of the statement's learner or activity, read as the API does."""
    ref = LEARNER_ID(LEARNER_IFI) if entity is Entity.LEARNER else view.activity_ref(ACTIVITY_ID)
    (stored,) = await view.read_values(
        redis, [(TENANT, entity, ref)], view.window_fields(Window.ALL, 0)
    )
    return read_indicators(entity, stored.values, stored.members)


def reference(entity: Entity, documents: list[dict[str, Any]]) -> dict[str, Any]:
    counted = compute_indicators(documents, Window.ALL, AS_OF)
    if entity is Entity.LEARNER:
        return counted.learner(LEARNER_IFI)
    return counted.activity(ACTIVITY_ID)


async def test_an_application_counts_and_its_retraction_takes_it_back(
    side: tuple[Entity, AgentTestWrapperT], redis: Redis
) -> None:
    entity, agent = side
    await agent.put(encode_operations([APPLICATION]))
    counted = reference(entity, [DOCUMENT])
    await until(lambda: indicators(redis, entity), lambda read: read == counted, what="counted")

    await agent.put(encode_operations([RETRACTION]))
    empty = reference(entity, [])
    await until(lambda: indicators(redis, entity), lambda read: read == empty, what="retracted")


async def test_an_unreadable_operation_record_is_dead_lettered_and_the_batch_goes_on(
    side: tuple[Entity, AgentTestWrapperT], sent: RecordingTopics, redis: Redis
) -> None:
    entity, agent = side
    await agent.put(b"[1]")
    await agent.put(encode_operations([APPLICATION]))
    counted = reference(entity, [DOCUMENT])
    await until(lambda: indicators(redis, entity), lambda read: read == counted, what="counted")

    assert sent.dead_letters() == [
        (b"[1]", "unreadable operation record: cannot unpack non-iterable int object")
    ]
