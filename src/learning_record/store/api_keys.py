"""The Redis cache of API key records. The compacted keys topic is the durable copy.

Several writers fill the cache (``lr keys``, and every API process following the topic), in no
agreed order: a record is written only when it supersedes the cached one
(``access.supersedes``), so a late copy of an old record never brings back a rotated secret or
undoes a revocation. ``lr keys`` changes one key at a time (``changing_key``), so that a
rotation and a revocation never both start from the same revision.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import ClassVar, cast

from pydantic import ValidationError
from redis.typing import EncodableT

from learning_record.domain.access import ApiKeyRecord
from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.lua import LuaScript

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Cache a key record unless the cached one supersedes it (``access.supersedes``)."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("cache_key")
    record: ApiKeyRecord

    def keys(self) -> list[str]:
        return [keys.api_key(self.record.key_id)]

    def args(self) -> list[EncodableT]:
        record = self.record
        return [record.model_dump_json(), record.revision, "1" if record.revoked else "0"]


# Longest a key change may hold its lock: a crashed `lr keys` frees the key after this.
CHANGE_LOCK_S = 30.0


async def cache_key(redis: RedisClient, record: ApiKeyRecord) -> bool:
    """Cache ``record`` unless the cached one supersedes it; whether it was written."""
    return bool(cast(int, await lua.run(redis, CacheKey(record))))


async def cached_key(redis: RedisClient, key_id: str) -> ApiKeyRecord | None:
    """The cached record; None when there is none, or when it cannot be read (the topic has the
    durable copy, and the next write replaces it)."""
    raw = await redis.get(keys.api_key(key_id))
    if raw is None:
        return None
    try:
        return ApiKeyRecord.model_validate_json(raw)
    except ValidationError:
        log.error("key_cache_entry_unreadable key_id=%s", key_id)
        return None


@asynccontextmanager
async def changing_key(redis: RedisClient, key_id: str) -> AsyncIterator[None]:
    """Hold the key's change lock, waiting for another change of it to finish first."""
    lock = redis.lock(
        keys.api_key_change_lock(key_id), timeout=CHANGE_LOCK_S, blocking_timeout=CHANGE_LOCK_S
    )
    async with lock:
        yield
