"""Liveness: answers while the process is up, with no key."""

from __future__ import annotations

from aiohttp import web

from learning_record.api.endpoint import Call, endpoint
from learning_record.api.openapi import Operation, Reply
from learning_record.api.schemas import Health


@endpoint(
    GET=Operation(
        summary="Liveness: 200 while the process is up",
        tag="operations",
        replies={200: Reply("Up.", {"application/json": Health})},
    )
)
async def health(call: Call[None]) -> web.Response:
    return web.json_response(Health(status="ok").model_dump())
