"""Per-key request rate and monthly statement quota, kept in Redis and decided atomically by
Lua scripts (``take_request.lua``, ``take_statements.lua``), so the limits hold across any
number of API processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from redis.typing import EncodableT

from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.lua import LuaScript

WINDOW_MS = 1000


@dataclass(frozen=True, slots=True)
class TakeRequest:
    """Count one request in a key's one-second window, unless it is full."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("take_request")
    tenant: str
    key_id: str
    limit: int

    def keys(self) -> list[str]:
        return [keys.request_window(self.tenant, self.key_id)]

    def args(self) -> list[EncodableT]:
        return [WINDOW_MS, self.limit]


@dataclass(frozen=True, slots=True)
class TakeStatements:
    """Count a batch in a key's monthly statement quota, unless that would pass it."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("take_statements")
    tenant: str
    key_id: str
    month: str  # YYYY-MM
    count: int
    quota: int

    def keys(self) -> list[str]:
        return [keys.statement_quota(self.tenant, self.key_id, self.month)]

    def args(self) -> list[EncodableT]:
        return [self.count, self.quota]


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
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def take_request(self, tenant: str, key_id: str, limit: int) -> RateDecision:
        allowed, count, reset_ms = await lua.run(self._redis, TakeRequest(tenant, key_id, limit))
        return RateDecision(bool(allowed), limit, max(limit - int(count), 0), int(reset_ms))

    async def take_statements(
        self, tenant: str, key_id: str, count: int, quota: int, now: datetime | None = None
    ) -> QuotaDecision:
        month = (now or datetime.now(UTC)).strftime("%Y-%m")
        call = TakeStatements(tenant, key_id, month, count, quota)
        allowed, used = await lua.run(self._redis, call)
        return QuotaDecision(bool(allowed), quota, int(used))

    async def give_back_statements(self, tenant: str, key_id: str, count: int) -> None:
        """Undo ``take_statements`` for a batch that Kafka did not accept."""
        month = datetime.now(UTC).strftime("%Y-%m")
        await self._redis.decrby(keys.statement_quota(tenant, key_id, month), count)
