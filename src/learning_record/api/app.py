"""The app factory: everything the API serves under ``/learningrecord/v1``."""

from __future__ import annotations

from aiohttp import web

from learning_record.api import health, indicators, statements, xapi_protocol
from learning_record.api.app_keys import (
    SETTINGS,
    consistency_clocks,
    kafka_producer,
    key_directory,
    ops_monitor,
    redis_pool,
)
from learning_record.api.cors import POLICY, OriginPolicy, cors_middleware
from learning_record.api.docs import add_docs_routes
from learning_record.api.metrics import client_errors_middleware, request_metrics_middleware
from learning_record.api.middlewares import error_middleware, request_id_middleware
from learning_record.api.ops import add_ops_routes
from learning_record.api.request_limits import media_type_middleware, target_length_middleware
from learning_record.api.usage import rate_limit_headers_middleware
from learning_record.api.xapi_protocol import xapi_middlewares
from learning_record.platform.settings import Settings

BASE_PATH = "/learningrecord/v1"


def create_app(settings: Settings) -> web.Application:
    stamp_xapi_version, check_xapi_request = xapi_middlewares(BASE_PATH)
    app = web.Application(
        middlewares=[
            request_id_middleware,
            request_metrics_middleware,
            cors_middleware,
            rate_limit_headers_middleware,
            stamp_xapi_version,
            error_middleware,
            client_errors_middleware,
            target_length_middleware,
            media_type_middleware(BASE_PATH),
            check_xapi_request,
        ],
        client_max_size=settings.api.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[POLICY] = OriginPolicy.from_settings(settings.cors)
    app.cleanup_ctx.extend([redis_pool, kafka_producer, key_directory, consistency_clocks])
    app.cleanup_ctx.append(ops_monitor)
    add_ops_routes(app, BASE_PATH)
    app.router.add_get(f"{BASE_PATH}/health", health.health)
    app.router.add_get(f"{BASE_PATH}/about", xapi_protocol.about)
    add_docs_routes(app, BASE_PATH)  # the OpenAPI document of every route above and below
    for path, view in indicators.ROUTES:
        app.router.add_get(f"{BASE_PATH}{path}", view)
        app.router.add_post(f"{BASE_PATH}{path}", view)  # parameters in a JSON body
    app.router.add_post(f"{BASE_PATH}/indicators/query", indicators.batch)
    app.router.add_post(f"{BASE_PATH}/statements", statements.post_statements)
    app.router.add_get(f"{BASE_PATH}/statements", statements.get_statements)
    app.router.add_put(f"{BASE_PATH}/statements", statements.put_statement)
    return app
