"""The Redis cache of API key records. The compacted keys topic is the durable copy."""

from __future__ import annotations

from redis.asyncio import Redis

from learning_domain.access import ApiKeyRecord
from serving import keys


async def cache_key(redis: Redis, record: ApiKeyRecord) -> None:
    await redis.set(keys.api_key(record.key_id), record.model_dump_json())


async def cached_key(redis: Redis, key_id: str) -> ApiKeyRecord | None:
    raw = await redis.get(keys.api_key(key_id))
    return ApiKeyRecord.model_validate_json(raw) if raw is not None else None
