"""Limits on requests that our own code answers, in the product's JSON error shape."""

from __future__ import annotations

import asyncio

from aiohttp import HttpVersion11, hdrs, web
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
# is not read: the answer says ``Connection: close``, is written whole and followed by a FIN,
# reading stops, and the connection is closed ``CLOSE_AFTER_S`` later. Closing at once would
# reset the connection, and a reset that reaches the client before it read the answer loses
# it; Go's net/http waits as long for the same reason. A smaller body is still read, keeping the
# connection open for the client's next request.
LINGER_MAX_BYTES = 64 * 1024
CLOSE_AFTER_S = 0.5


@web.middleware
async def unread_body_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    unread = request.body_exists and not request.content.is_eof()  # not all received
    if unread and (request.content_length or LINGER_MAX_BYTES + 1) > LINGER_MAX_BYTES:
        request.content.feed_eof()  # aiohttp does not linger to read the rest (it resumes reading)
        transport = request.transport
        if transport is not None:
            transport.pause_reading()  # and the rest stays in the kernel, unread
        response.force_close()
        try:
            await response.prepare(request)
            await response.write_eof()
            if transport is not None and transport.can_write_eof():
                transport.write_eof()  # the client sees the answer end at once
            await asyncio.sleep(CLOSE_AFTER_S)  # its time to read it before the reset
        except ConnectionError:
            pass  # the client left first: nothing to answer, and nothing worth a log line
        finally:
            request.protocol.force_close()
    return response


async def expect_continue_only(request: web.Request) -> None:
    """The routes' ``Expect`` handler. aiohttp's answers any expectation but ``100-continue``
    with a 417 before any middleware runs, and then reads and discards the whole body; here the
    request goes on to the key check, and a body it refuses is not read (above)."""
    expect = request.headers.get(hdrs.EXPECT, "").lower()
    if request.version == HttpVersion11 and expect == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the answer's own size starts after it


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
