"""Headers every answer carries, set as it is about to be sent (``on_response_prepare``), so
that streamed answers (``/process/batch``) get them too, not only those a middleware sees:

- ``X-Request-Id``;
- ``RateLimit-*`` of the key's charge, when the request was charged (``api.usage``);
- for the browser's sake: no content sniffing, HTTPS only once a client has used it (HSTS,
  with TLS on), and HTML pages that no other site may frame.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from learning_record.api.request_context import context_if_any
from learning_record.api.usage import rate_headers
from learning_record.platform.settings import ApiSettings

HSTS = "max-age=31536000"  # one year
# Our pages load only their own script, style and data (the dashboard and the docs).
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'"
)

PrepareHook = Callable[[web.Request, web.StreamResponse], Awaitable[None]]


def response_headers(api: ApiSettings) -> PrepareHook:
    tls = api.tls_cert is not None

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        context = context_if_any(request)
        if context is not None:
            response.headers["X-Request-Id"] = context.request_id
            if context.rate is not None:
                response.headers.update(rate_headers(context.rate))
        response.headers["X-Content-Type-Options"] = "nosniff"
        if tls:
            response.headers["Strict-Transport-Security"] = HSTS
        if response.content_type == "text/html":
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
            response.headers["X-Frame-Options"] = "DENY"

    return add_headers
