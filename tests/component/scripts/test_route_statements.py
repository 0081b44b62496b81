"""route_statements.lua: once per statement, whether it counts in the indicators, and whether a
void retracts its target; the first origin decides, a redelivery gets the same answer."""

from __future__ import annotations

from redis.asyncio import Redis

from learning_record.domain.indicators.operations import RouteRequest
from learning_record.store import keys
from learning_record.store.statements import Retraction, route, write_view
from tests.component.scripts.entries import TENANT, entry


async def test_the_first_origin_applies_a_statement_and_a_redelivery_agrees(
    script_redis: Redis,
) -> None:
    await write_view(script_redis, TENANT, [entry("a")])

    first = await route(script_redis, TENANT, [RouteRequest("a", (0, 7), voids=False)])
    again = await route(script_redis, TENANT, [RouteRequest("a", (0, 7), voids=False)])
    duplicate = await route(script_redis, TENANT, [RouteRequest("a", (1, 3), voids=False)])

    assert (first, again, duplicate) == ([True], [True], [False])
    assert await script_redis.hget(keys.statement_claim(TENANT, "a"), "a") == b"0:7"


async def test_a_statement_voided_before_it_counted_never_counts(script_redis: Redis) -> None:
    await write_view(script_redis, TENANT, [entry("void", voids="a"), entry("a")])

    decisions = await route(script_redis, TENANT, [RouteRequest("a", (0, 1), voids=False)])

    assert decisions == [False]
    assert await script_redis.hget(keys.statement_claim(TENANT, "a"), "a") == b"void"


async def test_a_void_retracts_its_applied_target_once(script_redis: Redis) -> None:
    await write_view(script_redis, TENANT, [entry("a")])
    await route(script_redis, TENANT, [RouteRequest("a", (0, 1), voids=False)])

    first = await route(script_redis, TENANT, [RouteRequest("a", (0, 2), voids=True)])
    again = await route(script_redis, TENANT, [RouteRequest("a", (0, 2), voids=True)])
    duplicate = await route(script_redis, TENANT, [RouteRequest("a", (1, 9), voids=True)])

    retraction = Retraction(b'{"id":"a"}', (0, 1))
    assert (first, again, duplicate) == ([retraction], [retraction], [None])
    assert await script_redis.hget(keys.statement_claim(TENANT, "a"), "x") == b"0:2"


async def test_a_void_of_a_target_never_applied_retracts_nothing(script_redis: Redis) -> None:
    await write_view(script_redis, TENANT, [entry("a")])

    decisions = await route(script_redis, TENANT, [RouteRequest("a", (0, 2), voids=True)])

    assert decisions == [None]
    assert await script_redis.hget(keys.statement_claim(TENANT, "a"), "x") is None
