"""Operators' endpoints: readiness (no key), consumer lag and the dashboard's summary (scope
``ops``), and the dashboard page itself, whose script asks for a key."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from learning_record.api.app_keys import OPS, SETTINGS
from learning_record.api.auth import authenticate
from learning_record.api.errors import ApiError
from learning_record.api.metrics import metrics_view
from learning_record.domain.access import Scope
from learning_record.ops.consumer_lag import lag_json

DASHBOARD_DIR = Path(__file__).parent / "dashboard"


def add_ops_routes(app: web.Application, base_path: str) -> None:
    app.router.add_get(f"{base_path}/ready", ready)
    app.router.add_get(f"{base_path}/ops/lag", lag)
    app.router.add_get(f"{base_path}/ops/summary", summary)
    app.router.add_get(f"{base_path}/ops/dashboard", dashboard)
    app.router.add_static(f"{base_path}/ops/dashboard/assets", DASHBOARD_DIR)
    if app[SETTINGS].api.metrics_port == 0:  # else served on its own port (api.server)
        app.router.add_get("/metrics", metrics_view(app))


async def ready(request: web.Request) -> web.Response:
    """200 when Kafka and Redis answer, a worker beats and no partition is stalled; else 503
    with the reasons."""
    readiness = await request.app[OPS].readiness()
    return web.json_response(readiness.to_dict(), status=200 if readiness.ready else 503)


async def lag(request: web.Request) -> web.Response:
    await authenticate(request, Scope.OPS)
    try:
        reading = await request.app[OPS].lag()
    except Exception as error:
        raise ApiError(
            503, "kafka_unavailable", f"cannot read the consumer lag: {type(error).__name__}"
        ) from error
    group = lag_json(reading)
    return web.json_response({"groups": [group], "totals": group["totals"]})


async def summary(request: web.Request) -> web.Response:
    await authenticate(request, Scope.OPS)
    return web.json_response(await request.app[OPS].summary())


async def dashboard(request: web.Request) -> web.FileResponse:
    return web.FileResponse(DASHBOARD_DIR / "index.html")
