"""`lr replay` rebuilds the statement view from the topic, the same view the live path built."""

from __future__ import annotations

import aiohttp
import orjson
from redis.asyncio import Redis

from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from learning_record.store import keys
from tests.integration.kafka_io import produce
from tests.integration.lr_cli import run_lr
from tests.waiting import until

JSON = "application/json"


def attempt(index: int) -> dict[str, object]:
    return {
        "actor": {"mbox": f"mailto:replay-{index % 3}@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": f"https://example.org/activities/replay-{index % 2}"},
    }


async def view_of(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey
) -> list[dict[str, object]]:
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    async with http.get(
        f"{base_url}/statements", params={"limit": "100"}, headers=headers
    ) as response:
        assert response.status == 200
        return list((await response.json())["statements"])


async def test_replay_rebuilds_the_view_of_a_tenant_from_the_topic(
    http: aiohttp.ClientSession,
    base_url: str,
    settings: Settings,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    tenant = tenant_key.record.tenant
    headers = {
        "x-api-key": tenant_key.header_value,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    async with http.post(
        f"{base_url}/statements", json=[attempt(i) for i in range(4)], headers=headers
    ) as response:
        assert response.status == 200
        api_ids = await response.json()
    await produce(settings, [orjson.dumps(attempt(i)) for i in range(4, 7)], tenant)

    async def in_view() -> int:
        return int(await redis.zcard(keys.statement_order(tenant)))

    await until(in_view, lambda n: n == 7, what="7 statements in the view")
    before = await view_of(http, base_url, tenant_key)

    output = await run_lr(settings, "replay", "--tenant", tenant, "--yes")
    assert "7 statements of 1 tenant(s)" in output

    after = await view_of(http, base_url, tenant_key)
    assert sorted(after, key=lambda s: str(s["id"])) == sorted(before, key=lambda s: str(s["id"]))
    # Replay hands out sequences in stored order: newest first, and the API batch (one record)
    # in the same order as when it was accepted. Records stored in the same millisecond on
    # different partitions have no order of their own to keep.
    stored = [str(s["stored"]) for s in after]
    assert stored == sorted(stored, reverse=True)
    from_api = [s["id"] for s in before if s["id"] in set(api_ids)]
    assert [s["id"] for s in after if s["id"] in set(api_ids)] == from_api


async def test_replay_rebuilds_the_documents_from_their_topic(
    http: aiohttp.ClientSession,
    base_url: str,
    settings: Settings,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    tenant = tenant_key.record.tenant
    headers = {"x-api-key": tenant_key.header_value, "X-Experience-API-Version": "1.0.3"}
    url = f"{base_url}/activities/state"
    context = {
        "activityId": "https://example.org/activities/replayed",
        "agent": '{"mbox":"mailto:replayed@example.org"}',
    }

    async def call(method: str, state_id: str | None, body: bytes | None = None) -> bytes:
        params = context if state_id is None else {**context, "stateId": state_id}
        async with http.request(
            method, url, params=params, data=body, headers={**headers, "Content-Type": JSON}
        ) as response:
            assert response.status in (200, 204)
            return await response.read()

    await call("PUT", "kept", b'{"a":1}')
    await call("POST", "kept", b'{"b":2}')
    await call("PUT", "deleted", b"{}")
    await call("DELETE", "deleted")
    before = await call("GET", "kept")
    (pattern,) = keys.document_patterns(tenant)
    await redis.delete(*[key async for key in redis.scan_iter(match=pattern)])

    output = await run_lr(settings, "replay", "--tenant", tenant, "--yes")

    assert "1 documents from" in output
    assert await call("GET", "kept") == before == b'{"a":1,"b":2}'
    assert orjson.loads(await call("GET", None)) == ["kept"]
