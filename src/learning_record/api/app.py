"""The app factory: everything the API serves under ``/learningrecord/v1``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import web

from learning_record.api.app_keys import (
    SETTINGS,
    consistency_clocks,
    document_store,
    kafka_producer,
    key_directory,
    learner_erasure,
    learner_keys,
    ops_monitor,
    redis_pool,
    statement_intake,
)
from learning_record.api.cors import POLICY, OriginPolicy, cors_middleware
from learning_record.api.docs import build_document
from learning_record.api.loop_lag import loop_lag_sampler
from learning_record.api.metrics import (
    client_errors_middleware,
    metrics_handler,
    request_metrics_middleware,
)
from learning_record.api.middlewares import error_middleware, request_id_middleware
from learning_record.api.request_limits import target_length_middleware, unread_body_middleware
from learning_record.api.response_headers import response_headers
from learning_record.api.routes import add_routes
from learning_record.platform.settings import Settings

BASE_PATH = "/learningrecord/v1"

Resource = Callable[[web.Application], AsyncIterator[None]]
# Opened in this order at startup, closed in reverse: each may use those before it.
KAFKA_AND_REDIS: tuple[Resource, ...] = (
    redis_pool,
    kafka_producer,
    learner_keys,
    statement_intake,
    learner_erasure,
    document_store,
    key_directory,
    consistency_clocks,
    ops_monitor,
)


def create_app(
    settings: Settings, resources: Sequence[Resource] = KAFKA_AND_REDIS
) -> web.Application:
    """The root app: the resources every request may need, the middlewares common to every
    route, and the three sub-apps of routes (``api.routes``). The component tests pass their
    own ``resources``: a real Redis, doubles for Kafka (``tests/component/api_app.py``)."""
    app = web.Application(
        middlewares=[
            unread_body_middleware,  # outermost: it sees the answer every other one made
            request_id_middleware,
            request_metrics_middleware,
            cors_middleware,
            error_middleware,
            client_errors_middleware,
            target_length_middleware,
        ],
        client_max_size=settings.api.max_body_bytes,
    )
    app.on_response_prepare.append(response_headers(settings.api))
    app[SETTINGS] = settings
    app[POLICY] = OriginPolicy.from_settings(settings.cors)
    app.cleanup_ctx.extend(resources)
    app.cleanup_ctx.append(loop_lag_sampler)
    # /metrics is served here unless it has a port of its own (api.server).
    metrics = metrics_handler(app) if settings.api.metrics_port == 0 else None
    add_routes(app, BASE_PATH, metrics=metrics)
    app.on_startup.append(build_document(BASE_PATH))  # every route is in by then
    return app
