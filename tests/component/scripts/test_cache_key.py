"""cache_key.lua: a key record is cached only over an older revision."""

from __future__ import annotations

from datetime import UTC, datetime

from learning_record.domain.access import ApiKeyRecord, Scope
from learning_record.store.api_keys import cache_key, cached_key
from learning_record.store.connection import RedisClient
from tests.component.scripts.entries import TENANT

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def record(revision: int, name: str) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id="k1",
        tenant=TENANT,
        name=name,
        scopes=(Scope.STATEMENTS_WRITE,),
        secret_hash="hash",
        created_at=CREATED,
        revision=revision,
    )


async def test_a_newer_or_equal_revision_replaces_the_cached_record(
    script_redis: RedisClient,
) -> None:
    assert await cache_key(script_redis, record(1, "first")) is True
    assert await cache_key(script_redis, record(1, "same revision")) is True
    assert await cache_key(script_redis, record(2, "rotated")) is True

    assert await cached_key(script_redis, "k1") == record(2, "rotated")


async def test_an_older_revision_never_replaces_the_cached_record(
    script_redis: RedisClient,
) -> None:
    await cache_key(script_redis, record(3, "revoked"))

    assert await cache_key(script_redis, record(2, "late copy")) is False
    assert await cached_key(script_redis, "k1") == record(3, "revoked")
