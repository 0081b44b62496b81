"""Liveness: answers while the process is up, with no key."""

from __future__ import annotations

from aiohttp import web


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
