"""`lr keys` as an administrator runs it, and keys that outlive their Redis cache."""

from __future__ import annotations

import uuid

import aiohttp
import orjson
from redis.asyncio import Redis

from lr.settings import Settings
from serving import keys
from tests.integration.conftest import issue_key
from tests.integration.lr_cli import run_lr
from tests.waiting import until


async def test_create_list_and_revoke_from_the_command_line(
    settings: Settings, http: aiohttp.ClientSession, base_url: str
) -> None:
    tenant = f"t{uuid.uuid4().hex[:10]}"
    created = orjson.loads(
        await run_lr(
            settings,
            "keys",
            "create",
            "--tenant",
            tenant,
            "--name",
            "lms",
            "--scopes",
            "statements/read,statements/write",
            "--json",
        )
    )
    assert created["tenant"] == tenant
    assert created["scopes"] == ["statements/read", "statements/write"]
    assert created["plan"] == "custom"
    assert created["api_key"] == f"{created['key_id']}.{created['secret']}"

    listing = await run_lr(settings, "keys", "list")
    (line,) = [row for row in listing.splitlines() if created["key_id"] in row]
    assert tenant in line
    assert line.endswith("active")
    assert created["secret"] not in listing

    headers = {"x-api-key": created["api_key"], "X-Experience-API-Version": "1.0.3"}
    url = f"{base_url}/statements?statementId={uuid.uuid4()}"
    async with http.get(url, headers=headers) as response:
        assert response.status == 404  # authenticated; the statement just does not exist

    assert (
        await run_lr(settings, "keys", "revoke", created["key_id"])
    ).strip() == f"revoked {created['key_id']}"
    async with http.get(url, headers=headers) as response:
        assert response.status == 401


async def test_a_key_still_works_after_its_redis_cache_entry_is_lost(
    settings: Settings, http: aiohttp.ClientSession, base_url: str, redis: Redis
) -> None:
    key = await issue_key(settings)
    assert await redis.delete(keys.api_key(key.record.key_id)) == 1

    url = f"{base_url}/statements?statementId={uuid.uuid4()}"

    async def status() -> int:
        headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
        async with http.get(url, headers=headers) as response:
            return response.status

    # 404, not 401: authenticated from the keys topic, which the API follows within a second.
    assert await until(status, lambda s: s != 401, within_s=10, what="key known") == 404
    assert await redis.exists(keys.api_key(key.record.key_id)) == 1  # and cached again
