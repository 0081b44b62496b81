"""Headers every answer carries for the browser's sake: no content sniffing, HTTPS only once a
client has used it (HSTS, with TLS on), and HTML pages that no other site may frame."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from learning_record.platform.settings import ApiSettings

HSTS = "max-age=31536000"  # one year
# Our pages load only their own script, style and data (the dashboard and the docs).
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'"
)


def security_headers(api: ApiSettings) -> Middleware:
    tls = api.tls_cert is not None

    @web.middleware
    async def add_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.prepared:
            return response  # streamed: its headers are sent already
        response.headers["X-Content-Type-Options"] = "nosniff"
        if tls:
            response.headers["Strict-Transport-Security"] = HSTS
        if response.content_type == "text/html":
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
            response.headers["X-Frame-Options"] = "DENY"
        return response

    return add_headers
