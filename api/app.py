"""The app factory: everything the API serves under ``/learningrecord/v1``."""

from __future__ import annotations

from aiohttp import web

from api import health, statements, xapi_protocol
from api.gateway import rate_limit_headers_middleware
from api.limits import target_length_middleware
from api.middlewares import error_middleware, request_id_middleware
from api.resources import (
    SETTINGS,
    consistency_clock,
    kafka_producer,
    key_directory,
    redis_pool,
)
from api.xapi_protocol import xapi_middlewares
from lr.settings import Settings

BASE_PATH = "/learningrecord/v1"


def create_app(settings: Settings) -> web.Application:
    stamp_xapi_version, check_xapi_request = xapi_middlewares(BASE_PATH)
    app = web.Application(
        middlewares=[
            request_id_middleware,
            rate_limit_headers_middleware,
            stamp_xapi_version,
            error_middleware,
            target_length_middleware,
            check_xapi_request,
        ],
        client_max_size=settings.api.max_body_bytes,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([redis_pool, kafka_producer, key_directory, consistency_clock])
    app.router.add_get(f"{BASE_PATH}/health", health.health)
    app.router.add_get(f"{BASE_PATH}/about", xapi_protocol.about)
    app.router.add_post(f"{BASE_PATH}/statements", statements.post_statements)
    app.router.add_get(f"{BASE_PATH}/statements", statements.get_statements)
    app.router.add_put(f"{BASE_PATH}/statements", statements.put_statement)
    return app
