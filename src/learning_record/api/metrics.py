"""Prometheus ``/metrics`` of the API process, and the middlewares that measure requests.

``/metrics`` needs no key, as scrapers expect; ``LR_API__METRICS_PORT`` moves it to a port of
its own (``api.server``). A scrape refreshes the gauges read from the broker and Redis first.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler
from aiokafka.errors import KafkaError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from learning_record.api import alternate_syntax
from learning_record.api.app_keys import OPS
from learning_record.platform import logs, metrics
from learning_record.store.connection import ANY_REDIS_ERROR

log = logs.get_logger(__name__)

_STATEMENT_WRITES = ("POST", "PUT")


def route_of(request: web.Request) -> str:
    """The route's pattern, never the raw path: labels must stay few."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def request_metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:  # redirects and the like pass through as exceptions
        status = error.status
        raise
    finally:
        seconds = time.perf_counter() - started
        method = alternate_syntax.intended_method(request)
        route = route_of(request)
        metrics.HTTP_REQUESTS.labels(metrics.API, method, route, str(status)).inc()
        metrics.HTTP_REQUEST_SECONDS.labels(metrics.API, method, route).observe(seconds)
        if method in _STATEMENT_WRITES and route.endswith("/statements"):
            _count_ingest(status)
        log.info(
            "http_request",
            method=method,
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 1),
        )


def _count_ingest(status: int) -> None:
    """A statement batch that reached validation was ingested; a 400 rejected it."""
    if status < 300 or status in (400, 409):
        metrics.STATEMENTS_INGESTED.labels(metrics.API, "http").inc()
    if status == 400:
        metrics.STATEMENTS_REJECTED.labels(metrics.API, "http").inc()


def count_accepted(statements: int) -> None:
    """Statements Kafka acknowledged for one request."""
    metrics.STATEMENTS_ACCEPTED.labels(metrics.API, "http").inc(statements)


@web.middleware
async def client_errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts Redis and Kafka failures that reach an action (inside the error middleware)."""
    try:
        return await handler(request)
    except ANY_REDIS_ERROR:
        metrics.REDIS_ERRORS.labels(metrics.API, route_of(request)).inc()
        raise
    except KafkaError:
        metrics.KAFKA_ERRORS.labels(metrics.API, route_of(request)).inc()
        raise


def metrics_handler(source: web.Application) -> Handler:
    """``/metrics`` for the app ``source``, served by it or by an app of its own."""

    async def serve_metrics(request: web.Request) -> web.StreamResponse:
        monitor = source[OPS]
        await monitor.readiness()  # refreshes lag, heartbeat and readiness gauges
        try:
            await monitor.dead_letter_records()
        except Exception:
            metrics.KAFKA_ERRORS.labels(metrics.API, "dead_letter_offsets").inc()
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return serve_metrics


def metrics_app(source: web.Application) -> web.Application:
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler(source))
    return app
