"""route_statements.lua: the first origin that routes a statement marks its claim, and every
later one reads the same marks; a void marks only an applied target."""

from __future__ import annotations

from learning_record.domain.indicators.routing import VOIDED_FIRST, RouteMarks, RouteRequest
from learning_record.store import keys
from learning_record.store.connection import RedisClient
from learning_record.store.statements import route, write_view
from tests.component.scripts.entries import TENANT, entry


async def test_the_first_origin_marks_a_statement_and_later_ones_read_it(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("a")])

    first = await route(script_redis, TENANT, [RouteRequest("a", (0, 7), voids=False)])
    again = await route(script_redis, TENANT, [RouteRequest("a", (0, 7), voids=False)])
    duplicate = await route(script_redis, TENANT, [RouteRequest("a", (1, 3), voids=False)])

    marks = [RouteMarks((0, 7))]
    assert (first, again, duplicate) == (marks, marks, marks)
    assert await script_redis.hget(keys.statement_claim(TENANT, "a"), "a") == b"0:7"


async def test_a_statement_voided_before_it_is_routed_is_marked_voided_first(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("void", voids="a"), entry("a")])

    marks = await route(script_redis, TENANT, [RouteRequest("a", (0, 1), voids=False)])

    assert marks == [RouteMarks(VOIDED_FIRST)]
    assert await script_redis.hget(keys.statement_claim(TENANT, "a"), "a") == b"void"


async def test_the_first_void_marks_its_applied_target_and_later_ones_read_it(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("a")])
    await route(script_redis, TENANT, [RouteRequest("a", (0, 1), voids=False)])

    first = await route(script_redis, TENANT, [RouteRequest("a", (0, 2), voids=True)])
    again = await route(script_redis, TENANT, [RouteRequest("a", (0, 2), voids=True)])
    duplicate = await route(script_redis, TENANT, [RouteRequest("a", (1, 9), voids=True)])

    marks = [RouteMarks((0, 1), (0, 2), b'{"id":"a"}')]
    assert (first, again, duplicate) == (marks, marks, marks)
    assert await script_redis.hget(keys.statement_claim(TENANT, "a"), "x") == b"0:2"


async def test_a_void_of_a_target_never_routed_marks_nothing(script_redis: RedisClient) -> None:
    await write_view(script_redis, TENANT, [entry("a")])

    marks = await route(script_redis, TENANT, [RouteRequest("a", (0, 2), voids=True)])

    assert marks == [RouteMarks(None, None, b'{"id":"a"}')]
    assert await script_redis.hget(keys.statement_claim(TENANT, "a"), "x") is None


async def test_a_void_of_a_target_never_stored_creates_no_claim(script_redis: RedisClient) -> None:
    marks = await route(script_redis, TENANT, [RouteRequest("gone", (0, 2), voids=True)])

    assert marks == [RouteMarks(None, None, None)]
    assert await script_redis.exists(keys.statement_claim(TENANT, "gone")) == 0
