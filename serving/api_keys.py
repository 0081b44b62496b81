"""The Redis cache of API key records. The compacted keys topic is the durable copy."""

from __future__ import annotations

from typing import cast

from redis.asyncio import Redis

from learning_domain.access import ApiKeyRecord
from serving import keys


async def cache_key(redis: Redis, record: ApiKeyRecord) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(keys.api_key(record.key_id), record.model_dump_json())
        pipe.sadd(keys.API_KEY_INDEX, record.key_id)
        await pipe.execute()


async def cached_key(redis: Redis, key_id: str) -> ApiKeyRecord | None:
    raw = await redis.get(keys.api_key(key_id))
    return ApiKeyRecord.model_validate_json(raw) if raw is not None else None


async def cached_keys(redis: Redis) -> list[ApiKeyRecord]:
    members = cast(set[bytes], await redis.smembers(keys.API_KEY_INDEX))
    key_ids = sorted(k.decode() for k in members)
    if not key_ids:
        return []
    raws = await redis.mget([keys.api_key(k) for k in key_ids])
    return [ApiKeyRecord.model_validate_json(raw) for raw in raws if raw is not None]
