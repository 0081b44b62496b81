"""query_page.lua: one page of a query, in sequence order, bounded by the first page."""

from __future__ import annotations

from redis.asyncio import Redis

from learning_record.domain.statement_query import Cursor, StatementQuery
from learning_record.store import lua
from learning_record.store.statement_scripts import QueryPage
from learning_record.store.statements import write_view
from tests.component.scripts.entries import TENANT, entry


def query(
    *terms: str,
    limit: int = 10,
    ascending: bool = True,
    since_ms: float | None = None,
    until_ms: float | None = None,
) -> StatementQuery:
    return StatementQuery(terms, since_ms, until_ms, limit, ascending, "exact", None)


async def seed(redis: Redis) -> None:
    await write_view(
        redis,
        TENANT,
        [
            entry("a", 1_000, ("verb:v", "agent:x")),
            entry("b", 2_000, ("verb:v",)),
            entry("c", 3_000, ("verb:v", "agent:x")),
        ],
    )


async def test_a_page_holds_the_statements_in_every_index_of_the_query(
    script_redis: Redis,
) -> None:
    await seed(script_redis)

    found = await lua.run(script_redis, QueryPage(TENANT, query("verb:v", "agent:x"), None))

    assert found == [3, b"a", 1, b"c", 3]


async def test_a_page_holds_limit_plus_one_newest_first(script_redis: Redis) -> None:
    await seed(script_redis)

    found = await lua.run(script_redis, QueryPage(TENANT, query(limit=1, ascending=False), None))

    assert found == [3, b"c", 3, b"b", 2]


async def test_the_next_page_starts_after_the_cursor_within_the_first_bound(
    script_redis: Redis,
) -> None:
    await seed(script_redis)
    await write_view(script_redis, TENANT, [entry("d", 4_000)])

    found = await lua.run(script_redis, QueryPage(TENANT, query(), Cursor(1, 3)))

    assert found == [3, b"b", 2, b"c", 3]


async def test_since_and_until_bound_the_stored_times(script_redis: Redis) -> None:
    await seed(script_redis)

    found = await lua.run(
        script_redis, QueryPage(TENANT, query(since_ms=1_000, until_ms=2_000), None)
    )

    assert found == [3, b"b", 2]
