"""What the API knows about the pipeline behind it: consumer lag (from the broker), worker
heartbeats and deployment totals (from Redis), readiness, and the figures of the ops dashboard.

One per API process. Every lag reading feeds the stall watch and the Prometheus gauges, so that
whoever polls (the readiness probe, a scrape, the dashboard) keeps them current.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from contextlib import suppress
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from learning_record.ops.consumer_lag import GroupLag, LagSource, lag_json
from learning_record.ops.readiness import (
    Check,
    Readiness,
    Stalled,
    StallWatch,
    heartbeat_check,
    stall_check,
)
from learning_record.platform import metrics
from learning_record.platform.clock import now_ms
from learning_record.platform.settings import Settings
from learning_record.store import heartbeats as ops
from learning_record.store.heartbeats import Heartbeat

log = logging.getLogger(__name__)

# A probe must answer even when a dependency hangs.
_CHECK_TIMEOUT_S = 3.0


class OpsMonitor:
    def __init__(self, settings: Settings, redis: Redis, reader: LagSource) -> None:
        self._settings = settings
        self._redis = redis
        self._reader = reader
        self._stalls = StallWatch(settings.ops.stall_after_s)
        self._stalled: list[Stalled] = []
        self._pending: Counter[str] = Counter()  # API counts not yet added to Redis

    @property
    def group(self) -> str:
        return self._reader.group_id

    # --- Readings ----------------------------------------------------------------------------

    async def lag(self) -> GroupLag:
        reading = await asyncio.wait_for(self._reader.read(), _CHECK_TIMEOUT_S)
        self._stalled = self._stalls.observe(reading)
        for p in reading.partitions:
            labels = (reading.group, p.topic, str(p.partition))
            metrics.CONSUMER_LAG_MESSAGES.labels(*labels).set(p.messages)
            metrics.CONSUMER_LAG_SECONDS.labels(*labels).set(p.seconds(reading.read_at_ms))
        return reading

    async def heartbeats(self) -> list[Heartbeat]:
        at = now_ms()
        beats = await asyncio.wait_for(ops.read_heartbeats(self._redis, self.group, at), 2.0)
        for beat in beats:
            metrics.WORKER_HEARTBEAT_AGE_SECONDS.labels(beat.worker).set(beat.age_s(at))
        return beats

    async def dead_letter_records(self) -> int:
        topic = self._settings.kafka.dead_letter_topic
        ends = await asyncio.wait_for(self._reader.end_offsets(topic), _CHECK_TIMEOUT_S)
        count = sum(ends.values())
        metrics.DEAD_LETTER_RECORDS.labels(topic).set(count)
        return count

    async def readiness(self) -> Readiness:
        kafka, lag = await self._kafka_check()
        redis, beats = await self._redis_check()
        at = now_ms()
        timeout_s = self._settings.ops.heartbeat_timeout_s
        checks = (
            kafka,
            redis,
            heartbeat_check(beats, at, timeout_s)
            if redis.ok
            else Check("worker_heartbeat", False, "unknown: Redis is unreachable"),
            stall_check(self._stalled, at)
            if lag is not None
            else Check("worker_progress", False, "unknown: Kafka is unreachable"),
        )
        readiness = Readiness(checks)
        metrics.READY.labels(metrics.API).set(1 if readiness.ready else 0)
        return readiness

    async def _kafka_check(self) -> tuple[Check, GroupLag | None]:
        try:
            lag = await self.lag()
        except Exception as error:  # any failure to read the broker is "not reachable"
            metrics.KAFKA_ERRORS.labels(metrics.API, "lag_read").inc()
            return Check("kafka", False, f"Kafka unreachable: {type(error).__name__}"), None
        return Check("kafka", True, "the broker answered"), lag

    async def _redis_check(self) -> tuple[Check, list[Heartbeat]]:
        try:
            await asyncio.wait_for(self._redis.ping(), 2.0)
            beats = await self.heartbeats()
        except (RedisError, TimeoutError) as error:
            metrics.REDIS_ERRORS.labels(metrics.API, "ready").inc()
            return Check("redis", False, f"Redis unreachable: {type(error).__name__}"), []
        return Check("redis", True, "Redis answered"), beats

    # --- Dashboard ---------------------------------------------------------------------------

    async def summary(self) -> dict[str, Any]:
        readiness = await self.readiness()
        at = now_ms()
        try:
            lag: GroupLag | None = await self.lag()
            dead_letters: int | None = await self.dead_letter_records()
        except Exception:
            lag, dead_letters = None, None
        try:
            totals = await ops.read_totals(self._redis, self.group)
            beats = await self.heartbeats()
        except (RedisError, TimeoutError):
            totals, beats = {}, []
        timeout_s = self._settings.ops.heartbeat_timeout_s
        return {
            "at_ms": at,
            "group": self.group,
            "ready": readiness.to_dict(),
            "totals": _totals(totals),
            "dead_letter_records": dead_letters,
            "lag": lag_json(lag) if lag is not None else None,
            "workers": [_worker_json(b, at, timeout_s) for b in beats],
            "freshness": _worst_freshness([b for b in beats if b.age_s(at) <= timeout_s]),
        }

    # --- Totals ------------------------------------------------------------------------------

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a deployment total; added to Redis within a second."""
        self._pending[name] += amount

    async def flush_totals_forever(self, every_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            await self.flush_totals()

    async def flush_totals(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, Counter()
        try:
            await ops.add_totals(self._redis, self.group, pending)
        except RedisError:
            metrics.REDIS_ERRORS.labels(metrics.API, "totals").inc()
            self._pending.update(pending)  # the next flush tries again


def _totals(raw: dict[str, int]) -> dict[str, int]:
    accepted_http = raw.get(ops.ACCEPTED_HTTP, 0)
    accepted_kafka = raw.get(ops.ACCEPTED_KAFKA, 0)
    return {
        "accepted": accepted_http + accepted_kafka,
        "accepted_http": accepted_http,
        "accepted_kafka": accepted_kafka,
        "rejected_http": raw.get(ops.REJECTED_HTTP, 0),
        "rejected_kafka": raw.get(ops.REJECTED_KAFKA, 0),
        "dead_lettered": raw.get(ops.DEAD_LETTERED, 0),
        "processed": raw.get(ops.PROCESSED, 0),
    }


def _worker_json(beat: Heartbeat, at_ms: int, timeout_s: float) -> dict[str, Any]:
    return {
        "worker": beat.worker,
        "age_s": round(beat.age_s(at_ms), 3),
        "fresh": beat.age_s(at_ms) <= timeout_s,
        "started_ms": beat.started_ms,
        "assigned": beat.assigned,
        "processed": beat.processed,
        "events": beat.events,
        "metrics_port": beat.metrics_port,
    }


def _worst_freshness(beats: list[Heartbeat]) -> dict[str, dict[str, float | int | None]]:
    """Per stage, the worst p50 and p99 of the live workers (quantiles do not add up)."""
    worst: dict[str, dict[str, float | int | None]] = {}
    for stage in ("view", "indicators"):
        figures = [b.freshness[stage] for b in beats if stage in b.freshness]
        p50s = [f.p50_s for f in figures if f.p50_s is not None]
        p99s = [f.p99_s for f in figures if f.p99_s is not None]
        worst[stage] = {
            "p50_s": max(p50s, default=None),
            "p99_s": max(p99s, default=None),
            "samples": sum(f.samples for f in figures),
        }
    return worst


async def stop_task(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
