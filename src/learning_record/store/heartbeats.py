"""What the operators' views read from Redis: worker heartbeats and deployment-wide totals.

Each worker writes its heartbeat every few seconds (``stream.heartbeat``) together with the
counts it gathered since the last one; each API process adds its own counts. Readers are the
readiness probe and the ops summary of the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from learning_record.store import keys

# Heartbeats of workers gone for this long are deleted when read: restarts leave no clutter.
FORGET_AFTER_MS = 15 * 60 * 1000

# Fields of the totals hash.
ACCEPTED_HTTP = "accepted:http"
ACCEPTED_KAFKA = "accepted:kafka"
REJECTED_HTTP = "rejected:http"
REJECTED_KAFKA = "rejected:kafka"
DEAD_LETTERED = "dead_lettered"
PROCESSED = "processed"  # valid statements the worker decoded from the statements topic


@dataclass(frozen=True, slots=True)
class Freshness:
    """Freshness quantiles of one worker over its recent window, in seconds."""

    p50_s: float | None = None
    p99_s: float | None = None
    samples: int = 0
    window_s: float = 60.0


@dataclass(frozen=True, slots=True)
class Heartbeat:
    worker: str  # "<host>:<pid>"
    at_ms: int
    started_ms: int
    # topic -> partitions assigned to this worker (Faust's bookkeeping topics left out)
    assigned: dict[str, list[int]] = field(default_factory=dict)
    # topic -> {partition: next offset to process}, as this worker last committed them
    processed: dict[str, dict[str, int]] = field(default_factory=dict)
    metrics_port: int | None = None
    events: int = 0  # records processed since the worker started, every topic
    # "view" (statements topic) and "indicators" (the event topics): the last minute's figures
    freshness: dict[str, Freshness] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Heartbeat:
        data = orjson.loads(raw)
        data["freshness"] = {k: Freshness(**v) for k, v in data.get("freshness", {}).items()}
        return cls(**data)

    def age_s(self, now_ms: int) -> float:
        return max(now_ms - self.at_ms, 0) / 1000


async def beat(redis: Redis, group: str, heartbeat: Heartbeat, totals: Mapping[str, int]) -> None:
    """Write a heartbeat and add the counts gathered since the last one, in one round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset(keys.worker_heartbeats(group), heartbeat.worker, heartbeat.to_json())
        _queue_totals(pipe, group, totals)
        await pipe.execute()


async def add_totals(redis: Redis, group: str, totals: Mapping[str, int]) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        _queue_totals(pipe, group, totals)
        await pipe.execute()


def _queue_totals(pipe: Pipeline, group: str, totals: Mapping[str, int]) -> None:
    for name, count in totals.items():
        if count:
            pipe.hincrby(keys.ops_totals(group), name, count)


async def read_totals(redis: Redis, group: str) -> dict[str, int]:
    raw = await redis.hgetall(keys.ops_totals(group))
    return {_text(name): int(value) for name, value in raw.items()}


async def read_heartbeats(redis: Redis, group: str, now_ms: int) -> list[Heartbeat]:
    """Every worker's last heartbeat, newest first; those gone long ago are forgotten."""
    raw = await redis.hgetall(keys.worker_heartbeats(group))
    heartbeats = [Heartbeat.from_json(value) for value in raw.values()]
    gone = [h.worker for h in heartbeats if now_ms - h.at_ms > FORGET_AFTER_MS]
    if gone:
        await redis.hdel(keys.worker_heartbeats(group), *gone)
    kept = [h for h in heartbeats if h.worker not in gone]
    return sorted(kept, key=lambda h: h.at_ms, reverse=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
