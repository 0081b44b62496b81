"""Scenario 6: flat cost. One learner accumulates a long history; the time per batch and the
size of the learner's state values are compared between 1,000 and 100,000 statements.

Measured at the component level, in this process, over a real ``redis-server`` of its own: the
worker's shipped code per batch (``bench.indicator_pipeline``: store and route in the statement
view, apply the operations on the learner side and on the activity side, mirror the changed
values to Redis), without Kafka or Faust. Statements are documents as the API writes them
(validated, ``stored`` set), made before the clock starts: the worker does not validate those
again. A batch is what the worker takes at most at once by default: 500 statements, here as 5
records of 100, as the API writes them.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from bench.indicator_pipeline import IndicatorPipeline
from bench.workloads import Statement, heavy_learner
from learning_record.cli.stack.redis_server import RedisServerConfig, redis_process, wait_ready
from learning_record.domain.indicators.batch import ACTIVITY_SIDE, LEARNER_SIDE
from learning_record.domain.xapi.statements import parse_statement
from tests.ports import free_ports

RECORD = 100
BATCH = 500
TIMED_BATCHES = 4  # timed after each point: the batches that take the history past it
SMALL = 1_000


@dataclass(frozen=True, slots=True)
class FlatRun:
    small: int
    large: int
    batch_ms_small: float  # median of the batches right after ``small`` statements
    batch_ms_large: float
    sizes_small: dict[str, int]  # largest value of each (entity, kind), bytes
    sizes_large: dict[str, int]


@contextmanager
def redis_of_its_own() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="lr-bench-flat-") as folder:
        (port,) = free_ports(1)
        process = redis_process(RedisServerConfig(Path(folder), port, persistence=False))
        process.start()
        try:
            wait_ready(process, port)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.stop()


async def flat_run(redis_url: str, large: int, *, label: str) -> FlatRun:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    pipeline = IndicatorPipeline(redis)
    history = heavy_learner(large + BATCH * TIMED_BATCHES, seed=large)
    timings: dict[int, list[float]] = {SMALL: [], large: []}
    sizes: dict[int, dict[str, int]] = {}
    held = 0
    try:
        while held < large + BATCH * TIMED_BATCHES:
            if held in timings and held not in sizes:
                sizes[held] = _learner_value_sizes(pipeline)
            batch = [parse_statement(next(history)).to_document() for _ in range(BATCH)]
            elapsed = await _one_batch(pipeline, batch)
            for point, times in timings.items():
                if point <= held < point + BATCH * TIMED_BATCHES:
                    times.append(elapsed * 1000)
            held += BATCH
            if held % 10_000 == 0:
                print(f"    {label}: {held:,} statements, last batch {elapsed * 1000:.0f} ms")
    finally:
        await redis.aclose()
    return FlatRun(
        SMALL,
        large,
        statistics.median(timings[SMALL]),
        statistics.median(timings[large]),
        sizes[SMALL],
        sizes[large],
    )


async def _one_batch(pipeline: IndicatorPipeline, statements: list[Statement]) -> float:
    started = time.perf_counter()
    operations = []
    for first in range(0, len(statements), RECORD):
        operations += await pipeline.receive(statements[first : first + RECORD], partition=0)
    await pipeline.apply(operations, LEARNER_SIDE)
    await pipeline.apply(operations, ACTIVITY_SIDE)
    return time.perf_counter() - started


def _learner_value_sizes(pipeline: IndicatorPipeline) -> dict[str, int]:
    """The largest serialised value of each (entity, kind). The learner is alone in its tenant,
    so every value is of it: its own, its pairs', its activities' and its member values."""
    largest: dict[str, int] = {}
    for key, value in pipeline.table.items():
        name = f"{key.entity} {key.kind}"
        largest[name] = max(largest.get(name, 0), len(value))
    return dict(sorted(largest.items()))
