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
from typing import cast

from pydantic import ValidationError
from redis.asyncio import Redis

from learning_record.domain.access import ApiKeyRecord
from learning_record.store import keys

log = logging.getLogger(__name__)

# KEYS: the key's cache entry. ARGV: the record (JSON), its revision, 1 if it is revoked.
# Returns 1 when written, 0 when the cached record supersedes it (access.supersedes).
_WRITE_UNLESS_SUPERSEDED = """
local held = redis.call('GET', KEYS[1])
if held then
  local ok, record = pcall(cjson.decode, held)
  if ok and type(record) == 'table' then
    local revision, incoming = tonumber(record['revision']) or 0, tonumber(ARGV[2])
    if revision > incoming then return 0 end
    if revision == incoming and record['revoked'] == true and ARGV[3] ~= '1' then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""

# Longest a key change may hold its lock: a crashed `lr keys` frees the key after this.
CHANGE_LOCK_S = 30.0


async def cache_key(redis: Redis, record: ApiKeyRecord) -> bool:
    """Cache ``record`` unless the cached one supersedes it; whether it was written."""
    script = redis.register_script(_WRITE_UNLESS_SUPERSEDED)
    written = await script(
        keys=[keys.api_key(record.key_id)],
        args=[record.model_dump_json(), record.revision, "1" if record.revoked else "0"],
    )
    return bool(cast(int, written))


async def cached_key(redis: Redis, key_id: str) -> ApiKeyRecord | None:
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
async def changing_key(redis: Redis, key_id: str) -> AsyncIterator[None]:
    """Hold the key's change lock, waiting for another change of it to finish first."""
    lock = redis.lock(
        keys.api_key_change_lock(key_id), timeout=CHANGE_LOCK_S, blocking_timeout=CHANGE_LOCK_S
    )
    async with lock:
        yield
