"""`lr keys` as an administrator runs it, and keys that outlive their Redis cache."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from learning_record.cli import keys_admin
from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from learning_record.platform.topics import ensure_topics
from learning_record.store import keys
from learning_record.store.api_keys import cache_key, cached_key
from tests.integration.conftest import issue_key
from tests.integration.isolated_stack import base_url_of, isolated_stack
from tests.integration.lr_cli import run_lr, run_lr_status
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


@pytest.mark.parametrize("tenant", ["a|b", "Acme", "acme\n"])
async def test_create_refuses_a_tenant_that_is_not_a_tenant_name(
    settings: Settings, tenant: str
) -> None:
    code, _, stderr = await run_lr_status(
        settings, *("keys", "create", "--tenant", tenant, "--name", "lms")
    )
    assert code == 2  # typer's usage error: nothing was written
    assert f"tenant {tenant!r} is not 1-63 lowercase letters" in " ".join(stderr.split())
    listing = await run_lr(settings, "keys", "list")
    assert all(f"  {tenant}  " not in row for row in listing.splitlines())


async def test_a_key_created_without_scopes_has_all_of_its_tenant_and_not_ops(
    settings: Settings, http: aiohttp.ClientSession, base_url: str
) -> None:
    tenant = f"t{uuid.uuid4().hex[:10]}"
    created = orjson.loads(
        await run_lr(settings, "keys", "create", "--tenant", tenant, "--name", "lms", "--json")
    )
    assert created["scopes"] == ["all"]
    headers = {"x-api-key": created["api_key"]}
    async with http.get(f"{base_url}/ops/summary", headers=headers) as response:
        assert response.status == 403
    assert await status_with(http, base_url, created["api_key"]) == 404  # its tenant's data


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


async def status_with(http: aiohttp.ClientSession, base: str, api_key: str) -> int:
    headers = {"x-api-key": api_key, "X-Experience-API-Version": "1.0.3"}
    async with http.get(
        f"{base}/statements", params={"statementId": str(uuid.uuid4())}, headers=headers
    ) as response:
        return response.status


async def test_rotate_gives_a_new_secret_and_the_old_one_fails_at_once_everywhere(
    settings: Settings, http: aiohttp.ClientSession, base_url: str, second_api: str
) -> None:
    tenant = f"t{uuid.uuid4().hex[:10]}"
    created = orjson.loads(
        await run_lr(
            settings,
            *("keys", "create", "--tenant", tenant, "--name", "lms"),
            *("--scopes", "statements/read", "--plan", "pro", "--json"),
        )
    )
    for base in (base_url, second_api):
        assert await status_with(http, base, created["api_key"]) == 404  # authenticated

    rotated = orjson.loads(await run_lr(settings, "keys", "rotate", created["key_id"], "--json"))

    assert rotated["key_id"] == created["key_id"]
    assert rotated["tenant"] == tenant
    assert rotated["secret"] != created["secret"]
    # No waiting: the rotation is in the cache every API process reads first.
    for base in (base_url, second_api):
        assert await status_with(http, base, created["api_key"]) == 401
        assert await status_with(http, base, rotated["api_key"]) == 404
    listing = await run_lr(settings, "keys", "list")
    (line,) = [row for row in listing.splitlines() if created["key_id"] in row]
    assert line == f"{created['key_id']}  {tenant}  lms  statements/read  pro  active"


async def test_an_older_copy_of_a_key_never_overwrites_its_rotation_in_the_cache(
    settings: Settings, http: aiohttp.ClientSession, base_url: str, redis: Redis
) -> None:
    before = await issue_key(settings)
    after = await keys_admin.rotate_key(settings, before.record.key_id)
    assert after.record.revision == before.record.revision + 1

    # What an API process following the topic does when it reads the creation record late.
    assert await cache_key(redis, before.record) is False

    assert await status_with(http, base_url, before.header_value) == 401
    assert await status_with(http, base_url, after.header_value) == 404


async def test_a_revoked_key_cannot_be_rotated_back_to_life(settings: Settings) -> None:
    key = await issue_key(settings)
    await keys_admin.revoke_key(settings, key.record.key_id)
    with pytest.raises(keys_admin.KeyNotRotatable, match="revoked"):
        await keys_admin.rotate_key(settings, key.record.key_id)
    with pytest.raises(keys_admin.KeyNotRotatable, match="no key"):
        await keys_admin.rotate_key(settings, "lrk_0000000000000000")


async def test_tenants_list_counts_active_and_revoked_keys_per_tenant(settings: Settings) -> None:
    first, second = (f"t{uuid.uuid4().hex[:10]}" for _ in range(2))
    keys_of_first = [await issue_key(settings, tenant=first) for _ in range(3)]
    await issue_key(settings, tenant=second)
    await keys_admin.revoke_key(settings, keys_of_first[0].record.key_id)

    rows = orjson.loads(await run_lr(settings, "tenants", "list", "--json"))
    mine = [row for row in rows if row["tenant"] in (first, second)]

    assert sorted(mine, key=lambda row: row["tenant"] != first) == [
        {"tenant": first, "active": 2, "revoked": 1},
        {"tenant": second, "active": 1, "revoked": 0},
    ]
    assert [row["tenant"] for row in rows] == sorted(row["tenant"] for row in rows)
    text = await run_lr(settings, "tenants", "list")
    assert f"{first}  active=2  revoked=1" in text.splitlines()


async def test_a_rotation_racing_a_revocation_never_brings_the_key_back(
    settings: Settings, http: aiohttp.ClientSession, base_url: str, redis: Redis
) -> None:
    for _ in range(3):  # the race went either way before changes of a key were serialised
        key_id = (await issue_key(settings)).record.key_id
        rotation, revocation = await asyncio.gather(
            keys_admin.rotate_key(settings, key_id),
            keys_admin.revoke_key(settings, key_id),
            return_exceptions=True,
        )
        assert not isinstance(revocation, BaseException)
        assert (await keys_admin.list_keys(settings))[key_id].revoked
        cached = await cached_key(redis, key_id)
        assert cached is not None
        assert cached.revoked
        if isinstance(rotation, IssuedKey):  # it ran first: the revocation took its secret
            assert await status_with(http, base_url, rotation.header_value) == 401
        else:  # it ran second and found the key revoked
            assert isinstance(rotation, keys_admin.KeyNotRotatable)


async def test_an_unreadable_record_in_the_keys_topic_does_not_keep_the_api_from_starting(
    services: LocalStack, http: aiohttp.ClientSession, redis: Redis
) -> None:
    with isolated_stack(services.settings, "bad-key-record") as processes:
        settings = processes.settings
        await ensure_topics(settings.kafka)
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.kafka.keys_topic, b"{not a key record", key=b"lrk_by_hand"
            )
        finally:
            await producer.stop()
        key = await issue_key(settings)  # after the bad record, in the same partition
        await redis.delete(keys.api_key(key.record.key_id))  # the API must read it from the topic

        api = processes.start_api()  # waits for /health: it raised at start before

        assert await status_with(http, base_url_of(settings), key.header_value) == 404
        assert "key_record_unreadable partition=0 offset=0" in api.log_path.read_text()
