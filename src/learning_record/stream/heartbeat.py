"""The worker's heartbeat in Redis, and its ``/metrics`` server.

Every ``LR_OPS__HEARTBEAT_INTERVAL_S`` the worker writes what it is doing: the partitions it is
assigned, the offsets it last committed, its freshness over the last minute, and the counts it
gathered since the last beat (added to the deployment's totals). The API's readiness probe and
ops summary read them (``store.heartbeats``). A heartbeat only says that the process and its event
loop run; whether the agents make progress is judged from the broker's committed offsets.

The worker's Faust web server is off, so ``/metrics`` is prometheus-client's own small HTTP
server, on a thread: it still answers when the event loop is blocked, which is worth seeing.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from prometheus_client import start_http_server
from redis.exceptions import RedisError

from learning_record.ops.consumer_lag import is_bookkeeping_topic
from learning_record.platform import metrics
from learning_record.platform.clock import now_ms
from learning_record.store import heartbeats as ops
from learning_record.stream import instruments
from learning_record.stream.app import app, settings
from learning_record.stream.redis_client import redis

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
_STARTED_MS = now_ms()
_PORT_TRIES = 16

metrics_port: int | None = None


@app.task  # type: ignore[untyped-decorator]  # Faust ships it untyped
async def serve_metrics() -> None:
    global metrics_port
    metrics_port = start_metrics_server(settings.worker.metrics_host, settings.worker.metrics_port)


def start_metrics_server(host: str, first_port: int) -> int | None:
    """Serve /metrics on the first free port from ``first_port``; None when disabled or full."""
    if first_port == 0:
        return None
    for port in range(first_port, first_port + _PORT_TRIES):
        try:
            start_http_server(port, host)
        except OSError:
            continue  # another worker on this machine has it
        log.info("worker_metrics_listening host=%s port=%s", host, port)
        return port
    log.warning("worker_metrics_no_free_port first=%s tries=%s", first_port, _PORT_TRIES)
    return None


@app.timer(interval=settings.ops.heartbeat_interval_s)  # type: ignore[untyped-decorator]
async def heartbeat() -> None:
    totals = instruments.drain_totals()
    try:
        await ops.beat(redis, settings.worker.app_id, current_heartbeat(), totals)
    except RedisError as error:
        instruments.restore_totals(totals)
        metrics.REDIS_ERRORS.labels(metrics.WORKER, "heartbeat").inc()
        log.warning("heartbeat_failed error=%s", type(error).__name__)


def current_heartbeat() -> ops.Heartbeat:
    assigned: dict[str, list[int]] = {}
    for tp in sorted(app.consumer.assignment()):
        if not is_bookkeeping_topic(tp.topic):
            assigned.setdefault(tp.topic, []).append(tp.partition)
    processed: dict[str, dict[str, int]] = {}
    for tp, offset in sorted(app.monitor.tp_committed_offsets.items()):
        processed.setdefault(tp.topic, {})[str(tp.partition)] = int(offset)
    return ops.Heartbeat(
        worker=WORKER_ID,
        at_ms=now_ms(),
        started_ms=_STARTED_MS,
        assigned=assigned,
        processed=processed,
        metrics_port=metrics_port,
        events=instruments.events_processed,
        freshness=instruments.recent_freshness(time.time()),
    )
