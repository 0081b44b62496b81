"""Per-key request rate and monthly statement quota, kept in Redis and decided atomically by
Lua scripts, so the limits hold across any number of API processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis

from learning_record.store import keys

WINDOW_MS = 1000

# One fixed one-second window per key, on Redis's clock (API processes may disagree on theirs).
# The key holds "<window>:<count>"; a new window starts the count again.
# Returns {allowed 0/1, count after this request, ms until the window ends}.
_RATE_SCRIPT = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = math.floor(now_ms / window_ms)
local reset_ms = (window + 1) * window_ms - now_ms
local count = 0
local state = redis.call('GET', KEYS[1])
if state then
  local sep = string.find(state, ':', 1, true)
  if tonumber(string.sub(state, 1, sep - 1)) == window then
    count = tonumber(string.sub(state, sep + 1))
  end
end
if count >= limit then
  return {0, count, reset_ms}
end
count = count + 1
redis.call('SET', KEYS[1], window .. ':' .. count, 'PX', reset_ms + window_ms)
return {1, count, reset_ms}
"""

# Adds ARGV[1] statements to the month's count unless that would pass the quota ARGV[2].
# Returns {allowed 0/1, count after}.
_QUOTA_SCRIPT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if count + wanted > tonumber(ARGV[2]) then
  return {0, count}
end
count = redis.call('INCRBY', KEYS[1], wanted)
redis.call('EXPIRE', KEYS[1], 40 * 24 * 3600)
return {1, count}
"""


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int


@dataclass(frozen=True, slots=True)
class QuotaDecision:
    allowed: bool
    quota: int
    used: int


class RateLimiter:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._rate = redis.register_script(_RATE_SCRIPT)
        self._quota = redis.register_script(_QUOTA_SCRIPT)

    async def take_request(self, tenant: str, key_id: str, limit: int) -> RateDecision:
        allowed, count, reset_ms = await self._rate(
            keys=[keys.request_window(tenant, key_id)], args=[WINDOW_MS, limit]
        )
        return RateDecision(bool(allowed), limit, max(limit - int(count), 0), int(reset_ms))

    async def take_statements(
        self, tenant: str, key_id: str, count: int, quota: int, now: datetime | None = None
    ) -> QuotaDecision:
        month = (now or datetime.now(UTC)).strftime("%Y-%m")
        allowed, used = await self._quota(
            keys=[keys.statement_quota(tenant, key_id, month)], args=[count, quota]
        )
        return QuotaDecision(bool(allowed), quota, int(used))

    async def give_back_statements(self, tenant: str, key_id: str, count: int) -> None:
        """Undo ``take_statements`` for a batch that Kafka did not accept."""
        month = datetime.now(UTC).strftime("%Y-%m")
        await self._redis.decrby(keys.statement_quota(tenant, key_id, month), count)
