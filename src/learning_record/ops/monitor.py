"""What the API knows about the pipeline behind it: consumer lag (from the broker), the
heartbeats of workers and API processes (from Redis), readiness, and the figures of the ops
dashboard, added up from every process's own ``/metrics``.

One per API process. Every lag reading feeds the stall watch and the Prometheus gauges, so that
whoever polls (the readiness probe, a scrape, the dashboard) keeps them current.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

import aiohttp
from prometheus_client import generate_latest

from learning_record.ops import deployment
from learning_record.ops.consumer_lag import GroupLag, LagSource, lag_json
from learning_record.ops.deployment import Reading, ReadingWindow
from learning_record.ops.readiness import (
    Check,
    Readiness,
    Stalled,
    StallWatch,
    heartbeat_check,
    stall_check,
)
from learning_record.ops.scrape import Scraped, Target, parse_samples, scrape_all
from learning_record.platform import logs, metrics
from learning_record.platform.clock import now_ms
from learning_record.platform.process import PROCESS_ID
from learning_record.platform.settings import Settings
from learning_record.store import heartbeats as ops
from learning_record.store.connection import ANY_REDIS_ERROR, RedisClient
from learning_record.store.heartbeats import ApiHeartbeat, Heartbeat

log = logs.get_logger(__name__)

# A probe must answer even when a dependency hangs.
_CHECK_TIMEOUT_S = 3.0
# Each process's /metrics, read while the dashboard waits: one that is slower is "no answer".
_SCRAPE_TIMEOUT_S = 1.0
# Rates span at least this much: the worker counts whole batches, a second apart at worst.
_RATE_SPAN_S = 5.0


class OpsMonitor:
    def __init__(
        self,
        settings: Settings,
        redis: RedisClient,
        reader: LagSource,
        http: aiohttp.ClientSession,
        metrics_url: str,
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._reader = reader
        self._http = http
        self._metrics_url = metrics_url  # this process's, announced in its heartbeat
        self._started_ms = now_ms()
        self._stalls = StallWatch(settings.ops.stall_after_s)
        self._stalled: list[Stalled] = []
        self._readings = ReadingWindow(_RATE_SPAN_S)

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
        except (*ANY_REDIS_ERROR, TimeoutError) as error:
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
            beats = await self.heartbeats()
            apis = await ops.read_api_heartbeats(self._redis, self.group, at)
        except (*ANY_REDIS_ERROR, TimeoutError):
            beats, apis = [], []
        timeout_s = self._settings.ops.heartbeat_timeout_s
        scraped = await self._scrape(
            [b for b in beats if b.age_s(at) <= timeout_s],
            [a for a in apis if a.age_s(at) <= timeout_s],
        )
        reading = Reading(
            now_ms(), {s.target.process: s.samples for s in scraped if s.samples is not None}
        )
        baseline = self._readings.baseline_for(reading)
        return {
            "at_ms": at,
            "group": self.group,
            "ready": readiness.to_dict(),
            "totals": deployment.totals(reading),
            "rates": deployment.rates(reading, baseline),
            "dead_letter_records": dead_letters,
            "lag": lag_json(lag) if lag is not None else None,
            "workers": [_worker_json(b, at, timeout_s) for b in beats],
            "processes": [_process_json(s) for s in scraped],
            "freshness": deployment.freshness(reading, baseline),
        }

    async def _scrape(self, workers: list[Heartbeat], apis: list[ApiHeartbeat]) -> list[Scraped]:
        """This process's own registry, read in place, and every other live process's
        ``/metrics``, each within a short deadline."""
        own = Target(PROCESS_ID, metrics.API, self._metrics_url)
        others, unserved = scrape_targets(workers, [a for a in apis if a.process != PROCESS_ID])
        scraped = await scrape_all(self._http, others, _SCRAPE_TIMEOUT_S)
        return [Scraped(own, parse_samples(generate_latest().decode())), *scraped, *unserved]

    # --- Heartbeat ---------------------------------------------------------------------------

    async def beat_forever(self) -> None:
        """Announce this process and its ``/metrics`` for the summaries of every API process."""
        while True:
            await self.beat()
            await asyncio.sleep(self._settings.ops.heartbeat_interval_s)

    async def beat(self) -> None:
        heartbeat = ApiHeartbeat(PROCESS_ID, now_ms(), self._started_ms, self._metrics_url)
        try:
            await ops.beat_api(self._redis, self.group, heartbeat)
        except ANY_REDIS_ERROR as error:
            metrics.REDIS_ERRORS.labels(metrics.API, "heartbeat").inc()
            log.warning("api_heartbeat_failed", error=type(error).__name__)


def scrape_targets(
    workers: list[Heartbeat], apis: list[ApiHeartbeat]
) -> tuple[list[Target], list[Scraped]]:
    """The ``/metrics`` to read, and the workers that serve none: their counters are missing
    from the figures too, which the summary says rather than quietly count less."""
    targets = [Target(a.process, metrics.API, a.metrics_url) for a in apis] + [
        Target(b.worker, metrics.WORKER, b.metrics_url) for b in workers if b.metrics_url
    ]
    unserved = [
        Scraped(Target(b.worker, metrics.WORKER, ""), None, "serves no /metrics")
        for b in workers
        if not b.metrics_url
    ]
    return targets, unserved


def _worker_json(beat: Heartbeat, at_ms: int, timeout_s: float) -> dict[str, Any]:
    return {
        "worker": beat.worker,
        "age_s": round(beat.age_s(at_ms), 3),
        "fresh": beat.age_s(at_ms) <= timeout_s,
        "started_ms": beat.started_ms,
        "assigned": beat.assigned,
        "processed": beat.processed,
        "events": beat.events,
        "metrics_url": beat.metrics_url,
    }


def _process_json(scraped: Scraped) -> dict[str, Any]:
    return {
        "process": scraped.target.process,
        "component": scraped.target.component,
        "metrics_url": scraped.target.url,
        "answered": scraped.samples is not None,
        "error": scraped.error,
    }


async def stop_task(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
