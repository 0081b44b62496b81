"""What the operators' views read from Redis: the heartbeats of the workers and of the API
processes.

Each worker writes its heartbeat every few seconds (``stream.heartbeat``), and so does each API
process (``api.app_keys``). Both name the URL of their ``/metrics``: that is how the ops summary
finds the processes whose counters it adds up. Readers are the readiness probe and the summary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self, TypeVar

import orjson

from learning_record.store import keys
from learning_record.store.connection import RedisClient

# Heartbeats of processes gone for this long are deleted when read: restarts leave no clutter.
FORGET_AFTER_MS = 15 * 60 * 1000


def _known_fields(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    # A process of the previous release may still beat during a rolling upgrade: fields it
    # writes that this one no longer knows are ignored rather than fatal.
    names = {f.name for f in fields(cls)}
    return {name: value for name, value in data.items() if name in names}


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A worker's."""

    worker: str  # "<host>:<pid>"
    at_ms: int
    started_ms: int
    # topic -> partitions assigned to this worker (Faust's bookkeeping topics left out)
    assigned: dict[str, list[int]] = field(default_factory=dict)
    # topic -> {partition: next offset to process}, as this worker last committed them
    processed: dict[str, dict[str, int]] = field(default_factory=dict)
    metrics_url: str | None = None  # None: its /metrics is off
    events: int = 0  # records processed since the worker started, every topic

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        return cls(**_known_fields(cls, orjson.loads(raw)))

    @property
    def process(self) -> str:
        return self.worker

    def age_s(self, now_ms: int) -> float:
        return max(now_ms - self.at_ms, 0) / 1000


@dataclass(frozen=True, slots=True)
class ApiHeartbeat:
    """An API process's."""

    process: str  # "<host>:<pid>"
    at_ms: int
    started_ms: int
    metrics_url: str

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        return cls(**_known_fields(cls, orjson.loads(raw)))

    def age_s(self, now_ms: int) -> float:
        return max(now_ms - self.at_ms, 0) / 1000


_Beat = TypeVar("_Beat", Heartbeat, ApiHeartbeat)


async def beat(redis: RedisClient, group: str, heartbeat: Heartbeat) -> None:
    await redis.hset(keys.worker_heartbeats(group), heartbeat.worker, heartbeat.to_json())


async def beat_api(redis: RedisClient, group: str, heartbeat: ApiHeartbeat) -> None:
    await redis.hset(keys.api_heartbeats(group), heartbeat.process, heartbeat.to_json())


async def read_heartbeats(redis: RedisClient, group: str, now_ms: int) -> list[Heartbeat]:
    """Every worker's last heartbeat, newest first; those gone long ago are forgotten."""
    key = keys.worker_heartbeats(group)
    beats = [Heartbeat.from_json(raw) for raw in (await redis.hgetall(key)).values()]
    return await _forget_gone(redis, key, beats, now_ms)


async def read_api_heartbeats(redis: RedisClient, group: str, now_ms: int) -> list[ApiHeartbeat]:
    """Every API process's last heartbeat, newest first; those gone long ago are forgotten."""
    key = keys.api_heartbeats(group)
    beats = [ApiHeartbeat.from_json(raw) for raw in (await redis.hgetall(key)).values()]
    return await _forget_gone(redis, key, beats, now_ms)


async def _forget_gone(
    redis: RedisClient, key: str, beats: list[_Beat], now_ms: int
) -> list[_Beat]:
    gone = [b.process for b in beats if now_ms - b.at_ms > FORGET_AFTER_MS]
    if gone:
        await redis.hdel(key, *gone)
    kept = [b for b in beats if b.process not in gone]
    return sorted(kept, key=lambda b: b.at_ms, reverse=True)
