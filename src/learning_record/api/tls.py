"""Optional TLS: the API's site served through an ``ssl.SSLContext`` from a PEM certificate and
key, and, when asked, a plain-HTTP listener that sends every request to HTTPS with 308 (method
and body kept, RFC 9110 15.4.9), so that HTTP is upgraded to HTTPS."""

from __future__ import annotations

import ssl

from aiohttp import web
from yarl import URL

from learning_record.platform import logs
from learning_record.platform.settings import ApiSettings

log = logs.get_logger(__name__)


def server_context(api: ApiSettings) -> ssl.SSLContext | None:
    """The server's TLS context, or None when TLS is off. TLS 1.2 at least."""
    if api.tls_cert is None or api.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=api.tls_cert, keyfile=api.tls_key)
    return context


def https_origin(api: ApiSettings) -> URL:
    """Where the redirect sends clients: the configured public URL, else the API's own host and
    port. Never the request's Host header, which a client chooses."""
    if api.public_url is not None:
        public = URL(str(api.public_url))
        return URL.build(scheme="https", host=public.host or api.host, port=public.explicit_port)
    host = "localhost" if api.host in ("0.0.0.0", "::", "") else api.host
    return URL.build(scheme="https", host=host, port=None if api.port == 443 else api.port)


def redirect_app(api: ApiSettings) -> web.Application:
    """Every request, whatever its method and path, answered 308 to the same URL over HTTPS."""
    origin = https_origin(api)

    async def to_https(request: web.Request) -> web.StreamResponse:
        target = origin.with_path(request.rel_url.raw_path, encoded=True).with_query(
            request.rel_url.raw_query_string
        )
        return web.Response(status=308, headers={"Location": str(target)})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", to_https)
    return app


async def serve_redirect(api: ApiSettings) -> web.AppRunner | None:
    """The plain-HTTP listener of ``api.http_redirect_port``, when TLS is on and it is set."""
    if api.http_redirect_port is None or api.tls_cert is None:
        return None
    runner = web.AppRunner(redirect_app(api), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, api.host, api.http_redirect_port, reuse_port=api.reuse_port).start()
    log.info("api_http_redirect_listening", host=api.host, port=api.http_redirect_port)
    return runner
