"""Operators' endpoints: readiness (no key), consumer lag and the dashboard's summary (scope
``ops``), and the dashboard page itself, whose script asks for a key."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from learning_record.api.app_keys import OPS
from learning_record.api.endpoint import Call, endpoint
from learning_record.api.errors import ApiError
from learning_record.api.openapi import Operation, Reply
from learning_record.domain.access import Scope
from learning_record.ops.consumer_lag import lag_json

DASHBOARD_DIR = Path(__file__).parent / "dashboard"
_FIGURES = {"application/json": {"type": "object"}}  # operators' figures: no promise of shape


async def ready(request: web.Request) -> web.Response:
    """200 when Kafka and Redis answer, a worker beats and no partition is stalled; else 503
    with the reasons."""
    readiness = await request.config_dict[OPS].readiness()
    return web.json_response(readiness.to_dict(), status=200 if readiness.ready else 503)


@endpoint(
    GET=Operation(
        summary="Consumer lag of the worker's group, per partition",
        tag="operations",
        scopes=(Scope.OPS,),
        replies={200: Reply("The lag.", _FIGURES)},
        errors=(503,),
    )
)
async def lag(call: Call[None]) -> web.Response:
    try:
        reading = await call.request.config_dict[OPS].lag()
    except Exception as error:
        raise ApiError(
            503, "kafka_unavailable", f"cannot read the consumer lag: {type(error).__name__}"
        ) from error
    group = lag_json(reading)
    return web.json_response({"groups": [group], "totals": group["totals"]})


@endpoint(
    GET=Operation(
        summary="The dashboard's figures: workers, API processes, rates and totals",
        tag="operations",
        scopes=(Scope.OPS,),
        replies={200: Reply("The figures.", _FIGURES)},
    )
)
async def summary(call: Call[None]) -> web.Response:
    return web.json_response(await call.request.config_dict[OPS].summary())


async def dashboard(request: web.Request) -> web.FileResponse:
    return web.FileResponse(DASHBOARD_DIR / "index.html")
