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

from learning_record.domain.statement_query import Cursor, StatementQuery
from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.statement_scripts import CANDIDATES_PER_CALL, QueryPage

# Script calls one page may take: with CANDIDATES_PER_CALL, the candidates one request examines.
MAX_CALLS = 20


@dataclass(frozen=True, slots=True)
class Page:
    documents: list[bytes]
    next_cursor: Cursor | None  # None when nothing follows


async def fetch_page(
    redis: RedisClient,
    tenant: str,
    query: StatementQuery,
    keep: Callable[[bytes], bool] | None = None,
    budget: int = CANDIDATES_PER_CALL,
) -> Page:
    """One page of ``query``; with ``keep``, only the statements it accepts (the index walk
    goes on until the page is full, so paging stays exact: ``statements/read/mine``).

    Each script call examines a bounded number of candidates and says where it stopped; a
    request makes at most ``MAX_CALLS`` of them. A query whose filters barely overlap may so
    answer a page with fewer statements than its limit, and a ``more`` that goes on from
    where the walk stopped (xAPI clients follow ``more`` until it is empty)."""
    kept: list[tuple[bytes, int]] = []
    cursor = query.cursor
    walk_ended = False
    bound = 0
    for _ in range(MAX_CALLS):
        bound, resume, matches = await _matches(redis, QueryPage(tenant, query, cursor, budget))
        wanted = query.limit + 1 - len(kept)  # limit + 1 kept: another page follows
        candidates = matches[:wanted]
        kept += await _documents(redis, tenant, candidates, keep)
        if len(kept) > query.limit:
            break
        if len(matches) > wanted:  # some were not kept: go on after the last one looked at
            cursor = Cursor(candidates[-1][1], bound)
        elif resume is not None:  # the call's budget ran out before the walk's end
            cursor = Cursor(resume, bound)
        else:
            walk_ended = True
            break
    shown = kept[: query.limit]
    if len(kept) > query.limit:
        next_cursor: Cursor | None = Cursor(shown[-1][1], bound)
    elif walk_ended:
        next_cursor = None
    else:  # the request's budget ran out: the client goes on from there
        next_cursor = cursor
    return Page([document for document, _ in shown], next_cursor)


async def _documents(
    redis: RedisClient,
    tenant: str,
    candidates: list[tuple[str, int]],
    keep: Callable[[bytes], bool] | None,
) -> list[tuple[bytes, int]]:
    if not candidates:
        return []
    documents = cast(
        list[bytes | None],
        await redis.mget([keys.statement(tenant, sid) for sid, _ in candidates]),
    )
    return [
        (document, sequence)
        for (_, sequence), document in zip(candidates, documents, strict=True)
        if document is not None and (keep is None or keep(document))
    ]


async def _matches(
    redis: RedisClient, call: QueryPage
) -> tuple[int, int | None, list[tuple[str, int]]]:
    """The query's bound, where the walk stopped short (None when it ended), and up to
    ``limit + 1`` (id, sequence) after the call's cursor."""
    found = cast(list[Any], await lua.run(redis, call))
    matches = [(found[i].decode(), int(found[i + 1])) for i in range(2, len(found), 2)]
    return int(found[0]), int(found[1]) if found[1] else None, matches
