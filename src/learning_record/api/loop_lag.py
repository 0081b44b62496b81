"""How late the API's event loop runs what is due: ``lr_api_event_loop_lag_seconds``.

A task asks to wake every ``SAMPLE_INTERVAL_S`` and records how much later than asked it woke.
That delay is what any request of this process waits, on top of its own work, behind a
synchronous slice of another (parsing, reading, serialising without an ``await``) or behind a
CPU the machine's other processes hold. Request latency well above it is waiting on Redis or
Kafka; latency made of it is the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from learning_record.ops.monitor import stop_task
from learning_record.platform import metrics

# Often enough to catch slices of tens of milliseconds, cheap enough to cost nothing (one timer).
SAMPLE_INTERVAL_S = 0.05


async def sample_loop_lag(interval_s: float = SAMPLE_INTERVAL_S) -> None:
    loop = asyncio.get_running_loop()
    lag = metrics.EVENT_LOOP_LAG_SECONDS.labels(metrics.API)
    while True:
        due = loop.time() + interval_s
        await asyncio.sleep(interval_s)
        lag.observe(max(loop.time() - due, 0.0))


async def loop_lag_sampler(app: web.Application) -> AsyncIterator[None]:
    """The sampler, for as long as the app serves (a ``cleanup_ctx`` of every API app)."""
    sampling = asyncio.create_task(sample_loop_lag())
    yield
    await stop_task(sampling)
