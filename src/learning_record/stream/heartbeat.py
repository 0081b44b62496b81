"""The worker's heartbeat in Redis, and its ``/metrics`` server.

Every ``LR_OPS__HEARTBEAT_INTERVAL_S`` the worker writes what it is doing: the partitions it is
assigned, the offsets it last committed, and the URL of its ``/metrics``. The API's readiness
probe and ops summary read them (``store.heartbeats``); the summary reads the worker's counters
from that URL. A heartbeat only says that the process and its event
loop run; whether the agents make progress is judged from the broker's committed offsets.

The worker's Faust web server is off, so ``/metrics`` is prometheus-client's own small HTTP
server, on a thread: it still answers when the event loop is blocked, which is worth seeing.
"""

from __future__ import annotations

from prometheus_client import start_http_server

from learning_record.ops.consumer_lag import is_bookkeeping_topic
from learning_record.platform import logs, metrics
from learning_record.platform.clock import now_ms
from learning_record.platform.process import PROCESS_ID, metrics_url
from learning_record.store import heartbeats as ops
from learning_record.store.connection import ANY_REDIS_ERROR
from learning_record.stream import instruments
from learning_record.stream.app import app, settings
from learning_record.stream.redis_client import redis

log = logs.get_logger(__name__)

_STARTED_MS = now_ms()
_PORT_TRIES = 16

served_at: str | None = None  # the URL of this worker's /metrics, once it serves it


@app.task  # type: ignore[untyped-decorator]  # Faust ships it untyped
async def serve_metrics() -> None:
    global served_at
    host = settings.worker.metrics_host
    port = start_metrics_server(host, settings.worker.metrics_port)
    served_at = metrics_url(host, port) if port is not None else None


def start_metrics_server(host: str, first_port: int) -> int | None:
    """Serve /metrics on the first free port from ``first_port``; None when disabled or full."""
    if first_port == 0:
        return None
    for port in range(first_port, first_port + _PORT_TRIES):
        try:
            start_http_server(port, host)
        except OSError:
            continue  # another worker on this machine has it
        log.info("worker_metrics_listening", host=host, port=port)
        return port
    log.warning("worker_metrics_no_free_port", first=first_port, tries=_PORT_TRIES)
    return None


@app.timer(interval=settings.ops.heartbeat_interval_s)  # type: ignore[untyped-decorator]
async def heartbeat() -> None:
    try:
        await ops.beat(redis, settings.worker.app_id, current_heartbeat())
    except ANY_REDIS_ERROR as error:
        metrics.REDIS_ERRORS.labels(metrics.WORKER, "heartbeat").inc()
        log.warning("heartbeat_failed", error=type(error).__name__)


def current_heartbeat() -> ops.Heartbeat:
    assigned: dict[str, list[int]] = {}
    for tp in sorted(app.consumer.assignment()):
        if not is_bookkeeping_topic(tp.topic):
            assigned.setdefault(tp.topic, []).append(tp.partition)
    processed: dict[str, dict[str, int]] = {}
    for tp, offset in sorted(app.monitor.tp_committed_offsets.items()):
        processed.setdefault(tp.topic, {})[str(tp.partition)] = int(offset)
    return ops.Heartbeat(
        worker=PROCESS_ID,
        at_ms=now_ms(),
        started_ms=_STARTED_MS,
        assigned=assigned,
        processed=processed,
        metrics_url=served_at,
        events=instruments.events_processed,
    )
