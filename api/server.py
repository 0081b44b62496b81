"""Serve the app until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from api.app import create_app
from api.limits import PARSER_MAX_FIELD_BYTES, PARSER_MAX_LINE_BYTES
from lr.settings import Settings

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    runner = web.AppRunner(
        create_app(settings),
        access_log=None,
        max_line_size=PARSER_MAX_LINE_BYTES,
        max_field_size=PARSER_MAX_FIELD_BYTES,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.api.host, settings.api.port)
    await site.start()
    log.info("api_listening host=%s port=%s", settings.api.host, settings.api.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
