"""Limits on requests that our own code answers, in the product's JSON error shape."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from learning_record.api.errors import ApiError
from learning_record.api.openapi import declared_operation

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


# aiohttp, like nginx, reads and discards a body its handler left unread ("lingering close"),
# so that a client still sending it gets the answer. Under a flood of unauthenticated 10 MB
# forms, refused with a 401 before their body, that reading was most of the event loop's work
# (about 10 ms of it per form; issue #10, docs/benchmarks.md). Past this many bytes, the body
# is not read: the answer says ``Connection: close``, is written whole, and the connection is
# closed at once. aiohttp, curl and requests read the answer before the reset that follows
# (tests/integration/test_request_limits.py); a smaller body is still read, keeping the
# connection open for the client's next request.
LINGER_MAX_BYTES = 64 * 1024


@web.middleware
async def unread_body_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    unread = request.body_exists and not request.content.is_eof()
    if unread and (request.content_length or LINGER_MAX_BYTES + 1) > LINGER_MAX_BYTES:
        response.force_close()
        await response.prepare(request)
        await response.write_eof()
        request.protocol.force_close()
    return response


# What the product endpoints (indicators, ops) read from a body; the xAPI resources have their
# own media types and answer 400 for others, as the spec says (api.xapi_protocol).
PRODUCT_MEDIA_TYPES = ("application/json",)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@web.middleware
async def media_type_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """415 for a body of a media type a product endpoint cannot read (the product sub-app's):
    those its operation declares, else JSON."""
    if (
        request.method in _BODY_METHODS
        and request.body_exists
        and request.match_info.http_exception is None
    ):
        operation = declared_operation(request, request.method)
        readable = tuple(operation.body) if operation and operation.body else PRODUCT_MEDIA_TYPES
        if request.content_type not in readable:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"Content-Type {request.content_type!r} is not supported here: send "
                f"{' or '.join(readable)}",
                {"supported": list(readable)},
                headers={"Accept-Post": ", ".join(readable)},
            )
    return await handler(request)
