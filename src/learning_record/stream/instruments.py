"""What the worker measures about itself: batches, records, freshness, statements and dead
letters, as Prometheus metrics of this process (which the API's ops summary adds up over every
process, from their ``/metrics``).

Batches are measured where every agent takes them (``stream.batching``): a batch's time runs
from the moment the agent receives it until it asks for the next one, so it includes the batch's
Redis pipeline, and freshness is taken right then, once the batch is visible in Redis.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from faust.types import EventT, StreamT

from learning_record.domain import ingest
from learning_record.platform import metrics

AgentBody = Callable[[StreamT[bytes]], Coroutine[Any, Any, None]]

events_processed = 0  # every topic, for the heartbeat


async def observed(
    batches: AsyncIterator[Sequence[EventT[bytes]]], topic: str, input_topic: bool
) -> AsyncIterator[Sequence[EventT[bytes]]]:
    """``batches`` unchanged, measured. ``topic`` names the stage in labels; ``input_topic``
    is true for the statements topic, whose records were produced by the API or directly."""
    async for events in batches:
        started = time.monotonic()
        yield events
        # The agent asked for the next batch: this one is done, its Redis writes included.
        done = time.time()
        _count_batch(topic, events, time.monotonic() - started, done)
        if input_topic:
            _count_input(events)


def _count_batch(topic: str, events: Sequence[EventT[bytes]], seconds: float, done: float) -> None:
    global events_processed
    events_processed += len(events)
    metrics.WORKER_BATCHES.labels(metrics.WORKER, topic).inc()
    metrics.WORKER_EVENTS.labels(metrics.WORKER, topic).inc(len(events))
    metrics.WORKER_BATCH_SECONDS.labels(metrics.WORKER, topic).observe(seconds)
    freshness = metrics.FRESHNESS_SECONDS.labels(metrics.WORKER, topic)
    for event in events:
        freshness.observe(max(done - event.message.timestamp, 0.0))


def _count_input(events: Sequence[EventT[bytes]]) -> None:
    direct = sum(1 for e in events if not ingest.written_by_api(dict(e.headers or {})))
    if direct:
        metrics.STATEMENTS_INGESTED.labels(metrics.WORKER, "kafka").inc(direct)


def count_decoded(count: int, *, direct: bool) -> None:
    """Statements decoded from one record of the statements topic; ``direct`` when a producer
    wrote it straight to Kafka (the API counted its own when it accepted them)."""
    metrics.WORKER_STATEMENTS.labels(metrics.WORKER).inc(count)
    if direct:
        metrics.STATEMENTS_ACCEPTED.labels(metrics.WORKER, "kafka").inc(count)


def crash_counted(agent: AgentBody) -> AgentBody:
    """``agent``, counting each time it raises (Faust then restarts it). Its series is served
    at 0 from the start, so that an alert on an increase has something to watch."""
    crashes = metrics.WORKER_AGENT_CRASHES.labels(metrics.WORKER, agent.__name__)

    @functools.wraps(agent)
    async def counted(stream: StreamT[bytes]) -> None:
        try:
            await agent(stream)
        except Exception:
            crashes.inc()
            raise

    return counted


def count_dead_letter() -> None:
    metrics.STATEMENTS_REJECTED.labels(metrics.WORKER, "kafka").inc()
    metrics.STATEMENTS_DEAD_LETTERED.labels(metrics.WORKER).inc()
