"""The Redis cache of API key records. The compacted keys topic is the durable copy.

Several writers fill the cache (``lr keys``, and every API process following the topic), in no
agreed order: a record is written only over an older revision, so a late copy of an old record
never brings back a rotated secret or undoes a revocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, cast

from redis.asyncio import Redis
from redis.typing import EncodableT

from learning_record.domain.access import ApiKeyRecord
from learning_record.store import keys, lua
from learning_record.store.lua import LuaScript


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Cache a key record unless a newer revision is cached."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("cache_key")
    record: ApiKeyRecord

    def keys(self) -> list[str]:
        return [keys.api_key(self.record.key_id)]

    def args(self) -> list[EncodableT]:
        return [self.record.model_dump_json(), self.record.revision]


async def cache_key(redis: Redis, record: ApiKeyRecord) -> bool:
    """Cache ``record`` unless a newer revision is cached; whether it was written."""
    return bool(cast(int, await lua.run(redis, CacheKey(record))))


async def cached_key(redis: Redis, key_id: str) -> ApiKeyRecord | None:
    raw = await redis.get(keys.api_key(key_id))
    return ApiKeyRecord.model_validate_json(raw) if raw is not None else None
