"""Limits on requests that our own code answers, in the product's JSON error shape."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from api.errors import ApiError

MAX_TARGET_BYTES = 8192

# aiohttp's parser answers a plain-text 400 above its own limits, before any middleware runs:
# keep those far above ours, so that a long URL gets our 414.
PARSER_MAX_LINE_BYTES = 1024 * 1024
PARSER_MAX_FIELD_BYTES = 64 * 1024


@web.middleware
async def target_length_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    length = len(request.raw_path.encode())
    if length > MAX_TARGET_BYTES:
        raise ApiError(
            414,
            "uri_too_long",
            f"the request target is {length} bytes, over the limit of {MAX_TARGET_BYTES}: "
            "send long queries as POST with the parameters in the body",
            {"limit": MAX_TARGET_BYTES, "length": length},
        )
    return await handler(request)
