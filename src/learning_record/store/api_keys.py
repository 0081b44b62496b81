"""The Redis cache of API key records. The compacted keys topic is the durable copy.

Several writers fill the cache (``lr keys``, and every API process following the topic), in no
agreed order: a record is written only over an older revision, so a late copy of an old record
never brings back a rotated secret or undoes a revocation.
"""

from __future__ import annotations

from typing import cast

from redis.asyncio import Redis

from learning_record.domain.access import ApiKeyRecord
from learning_record.store import keys

# KEYS: the key's cache entry. ARGV: the record (JSON), its revision.
# Returns 1 when written, 0 when the cache holds a newer revision.
_WRITE_UNLESS_NEWER = """
local held = redis.call('GET', KEYS[1])
if held then
  local revision = cjson.decode(held)['revision'] or 0
  if revision > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


async def cache_key(redis: Redis, record: ApiKeyRecord) -> bool:
    """Cache ``record`` unless a newer revision is cached; whether it was written."""
    script = redis.register_script(_WRITE_UNLESS_NEWER)
    written = await script(
        keys=[keys.api_key(record.key_id)], args=[record.model_dump_json(), record.revision]
    )
    return bool(cast(int, written))


async def cached_key(redis: Redis, key_id: str) -> ApiKeyRecord | None:
    raw = await redis.get(keys.api_key(key_id))
    return ApiKeyRecord.model_validate_json(raw) if raw is not None else None
