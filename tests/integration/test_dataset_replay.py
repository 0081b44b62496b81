"""Replay the FUN-MOOC dataset (22,000 real-shaped statements) through Kafka, then count by verb
and by actor through the HTTP query filters, against counts taken from the file itself."""

from __future__ import annotations

import time
from collections import Counter

import aiohttp
import orjson
import pytest
from redis.asyncio import Redis

from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from learning_record.store import keys
from tests.integration.fun_mooc import fun_mooc_statements
from tests.integration.kafka_io import produce_many
from tests.waiting import until


async def count_matching(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, params: dict[str, str]
) -> int:
    """Follow ``more`` to the end, counting statements."""
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    origin = base_url[: base_url.index("/learningrecord")]
    url, query, total = f"{base_url}/statements", {**params, "format": "ids", "limit": "100"}, 0
    while True:
        async with http.get(url, params=query, headers=headers) as response:
            assert response.status == 200, await response.text()
            page = await response.json()
        total += len(page["statements"])
        if not page["more"]:
            return total
        url, query = origin + page["more"], {}


@pytest.mark.timeout(600)
async def test_fun_mooc_replay_counts_by_verb_and_actor_match_the_file(
    http: aiohttp.ClientSession,
    base_url: str,
    settings: Settings,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    statements = fun_mooc_statements()
    tenant = tenant_key.record.tenant
    started = time.monotonic()
    await produce_many(settings, statements, tenant)

    async def stored() -> int:
        return int(await redis.zcard(keys.statement_order(tenant)))

    await until(stored, lambda n: n >= len(statements), within_s=300, what="22,000 in the view")
    elapsed = time.monotonic() - started
    print(f"replayed {len(statements)} statements into the view in {elapsed:.1f}s")
    assert await stored() == len(statements)

    by_verb = Counter(s["verb"]["id"] for s in statements)
    for verb, expected in by_verb.items():
        assert await count_matching(http, base_url, tenant_key, {"verb": verb}) == expected, verb

    by_actor = Counter(orjson.dumps(s["actor"], option=orjson.OPT_SORT_KEYS) for s in statements)
    assert len(by_actor) == 1452
    for actor, expected in by_actor.items():
        counted = await count_matching(http, base_url, tenant_key, {"agent": actor.decode()})
        assert counted == expected, actor
