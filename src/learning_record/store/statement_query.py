"""Pages of GET /statements, read from the store's indexes.

A page walks the smallest index among the query's filters (the order zset when it has none),
checks the others for each candidate, and stops after ``limit + 1`` matches: O(page + log n)
for one filter. Statements come in sequence order; the first page fixes the highest sequence
the query may return, so statements arriving while a client pages never shift, repeat or skip
entries. Voided statements are not in any index (the write script removes them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from learning_record.domain.statement_query import Cursor, StatementQuery
from learning_record.store import keys, lua
from learning_record.store.statement_scripts import QueryPage


@dataclass(frozen=True, slots=True)
class Page:
    documents: list[bytes]
    next_cursor: Cursor | None  # None when nothing follows


async def fetch_page(
    redis: Redis,
    tenant: str,
    query: StatementQuery,
    keep: Callable[[bytes], bool] | None = None,
) -> Page:
    """One page of ``query``; with ``keep``, only the statements it accepts (the index walk
    goes on until the page is full, so paging stays exact: ``statements/read/mine``)."""
    kept: list[tuple[bytes, int]] = []
    cursor = query.cursor
    while True:
        bound, matches = await _matches(redis, tenant, query, cursor)
        # limit + 1 kept statements tell that another page follows.
        candidates = matches[: query.limit + 1 - len(kept)]
        if not candidates:
            break
        documents = cast(
            list[bytes | None],
            await redis.mget([keys.statement(tenant, sid) for sid, _ in candidates]),
        )
        kept += [
            (document, sequence)
            for (_, sequence), document in zip(candidates, documents, strict=True)
            if document is not None and (keep is None or keep(document))
        ]
        exhausted = len(matches) <= query.limit
        if len(kept) > query.limit or exhausted:
            break
        cursor = Cursor(candidates[-1][1], bound)
    shown = kept[: query.limit]
    next_cursor = Cursor(shown[-1][1], bound) if len(kept) > query.limit else None
    return Page([document for document, _ in shown], next_cursor)


async def _matches(
    redis: Redis, tenant: str, query: StatementQuery, cursor: Cursor | None
) -> tuple[int, list[tuple[str, int]]]:
    """The query's bound and up to ``limit + 1`` (id, sequence) after ``cursor``."""
    found = cast(list[Any], await lua.run(redis, QueryPage(tenant, query, cursor)))
    matches = [(found[i].decode(), int(found[i + 1])) for i in range(1, len(found), 2)]
    return int(found[0]), matches
