"""query_page.lua: one page of a query, in sequence order, bounded by the first page."""

from __future__ import annotations

from dataclasses import replace

import orjson

from learning_record.domain.statement_query import Cursor, StatementQuery
from learning_record.store import lua
from learning_record.store.connection import RedisClient
from learning_record.store.statement_query import fetch_page
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


async def seed(redis: RedisClient) -> None:
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
    script_redis: RedisClient,
) -> None:
    await seed(script_redis)

    found = await lua.run(script_redis, QueryPage(TENANT, query("verb:v", "agent:x"), None))

    assert found == [3, b"", b"a", 1, b"c", 3]


async def test_a_page_holds_limit_plus_one_newest_first(script_redis: RedisClient) -> None:
    await seed(script_redis)

    found = await lua.run(script_redis, QueryPage(TENANT, query(limit=1, ascending=False), None))

    assert found == [3, b"", b"c", 3, b"b", 2]


async def test_the_next_page_starts_after_the_cursor_within_the_first_bound(
    script_redis: RedisClient,
) -> None:
    await seed(script_redis)
    await write_view(script_redis, TENANT, [entry("d", 4_000)])

    found = await lua.run(script_redis, QueryPage(TENANT, query(), Cursor(1, 3)))

    assert found == [3, b"", b"b", 2, b"c", 3]


async def test_since_and_until_bound_the_stored_times(script_redis: RedisClient) -> None:
    await seed(script_redis)

    found = await lua.run(
        script_redis, QueryPage(TENANT, query(since_ms=1_000, until_ms=2_000), None)
    )

    assert found == [3, b"", b"b", 2]


async def test_a_call_stops_at_its_budget_of_candidates_and_says_where(
    script_redis: RedisClient,
) -> None:
    await seed(script_redis)  # a and c in "agent:x", a, b and c in "verb:v"

    found = await lua.run(
        script_redis, QueryPage(TENANT, query("verb:v", "agent:x"), None, budget=2)
    )

    assert found == [3, b"", b"a", 1, b"c", 3]  # agent:x is the smaller index: 2 examined
    found = await lua.run(script_redis, QueryPage(TENANT, query("verb:v"), None, budget=2))
    assert found == [3, 2, b"a", 1, b"b", 2]  # stopped after sequence 2, the walk not over


async def test_fetch_page_answers_what_its_budget_found_and_more_goes_on_from_there(
    script_redis: RedisClient,
) -> None:
    """Filters that barely overlap: each request examines a bounded number of candidates."""
    entries = [entry(f"s{n:03d}", n * 1_000, ("verb:v",)) for n in range(1, 301)]
    entries += [entry("match", 301_000, ("verb:v", "agent:x"))]
    entries += [entry(f"t{n:03d}", (301 + n) * 1_000, ("agent:x",)) for n in range(1, 301)]
    await write_view(script_redis, TENANT, entries)

    asked = query("verb:v", "agent:x", limit=10)
    first = await fetch_page(script_redis, TENANT, asked, budget=5)

    # 20 calls of 5 candidates: 100 of the 301 "verb:v" statements examined, none matched.
    assert first.documents == []
    assert first.next_cursor == Cursor(100, 601)
    pages = [first]
    while pages[-1].next_cursor is not None:
        cursor = pages[-1].next_cursor
        pages.append(
            await fetch_page(script_redis, TENANT, replace(asked, cursor=cursor), budget=5)
        )
    found = [orjson.loads(d)["id"] for page in pages for d in page.documents]
    assert found == ["match"]
    assert len(pages) == 4
