"""Serve the app until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

from learning_record.api.app import create_app
from learning_record.api.metrics import metrics_app
from learning_record.api.request_limits import PARSER_MAX_FIELD_BYTES, PARSER_MAX_LINE_BYTES
from learning_record.api.tls import serve_redirect, server_context
from learning_record.platform import logs
from learning_record.platform.settings import Settings

log = logs.get_logger(__name__)


async def serve(settings: Settings) -> None:
    runner = web.AppRunner(
        create_app(settings),
        access_log=None,
        max_line_size=PARSER_MAX_LINE_BYTES,
        max_field_size=PARSER_MAX_FIELD_BYTES,
    )
    await runner.setup()
    tls = server_context(settings.api)
    site = web.TCPSite(
        runner,
        settings.api.host,
        settings.api.port,
        ssl_context=tls,
        reuse_port=settings.api.reuse_port,
    )
    await site.start()
    log.info("api_listening", host=settings.api.host, port=settings.api.port, tls=tls is not None)
    redirect_runner = await serve_redirect(settings.api)
    metrics_runner = await _serve_metrics_apart(settings, runner.app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        if redirect_runner is not None:
            await redirect_runner.cleanup()
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        await runner.cleanup()


async def _serve_metrics_apart(settings: Settings, app: web.Application) -> web.AppRunner | None:
    """/metrics on a host and port of its own, when the settings give one."""
    if settings.api.metrics_port == 0:
        return None
    runner = web.AppRunner(metrics_app(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.api.metrics_host, settings.api.metrics_port).start()
    log.info(
        "api_metrics_listening", host=settings.api.metrics_host, port=settings.api.metrics_port
    )
    return runner
