"""Heartbeats in a real Redis, and scraping processes' /metrics over real HTTP: a process that
does not answer, or answers wrong, is reported as such and holds up nobody."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer
from redis.asyncio import Redis

from learning_record.ops.scrape import Scraped, Target, scrape_all
from learning_record.store import heartbeats
from learning_record.store.heartbeats import FORGET_AFTER_MS, ApiHeartbeat, Heartbeat

METRICS = '# TYPE lr_ready gauge\nlr_ready{component="api"} 1.0\n'


@pytest.fixture
async def server() -> AsyncIterator[BaseTestServer]:
    never = asyncio.Event()

    async def answers(request: web.Request) -> web.Response:
        return web.Response(text=METRICS)

    async def hangs(request: web.Request) -> web.Response:
        await never.wait()
        raise AssertionError("never set")

    async def fails(request: web.Request) -> web.Response:
        return web.Response(status=500)

    async def garbled(request: web.Request) -> web.Response:
        return web.Response(text='lr_ready{component="api" 1\n')

    app = web.Application()
    for name, handler in (("answers", answers), ("hangs", hangs), ("fails", fails)):
        app.router.add_get(f"/{name}/metrics", handler)
    app.router.add_get("/garbled/metrics", garbled)
    async with TestServer(app) as running:
        yield running
        never.set()


async def test_every_process_is_read_and_those_that_do_not_answer_are_named(
    server: BaseTestServer,
) -> None:
    names = ("answers", "hangs", "fails", "garbled")
    targets = [Target(f"h:{n}", "api", str(server.make_url(f"/{n}/metrics"))) for n in names]
    async with aiohttp.ClientSession() as http:
        scraped = await scrape_all(http, targets, timeout_s=0.5)
    by_process = {s.target.process: s for s in scraped}
    assert by_process["h:answers"] == Scraped(
        targets[0], {("lr_ready", frozenset({("component", "api")})): 1.0}
    )
    assert by_process["h:hangs"] == Scraped(targets[1], None, "no answer in time")
    assert by_process["h:fails"] == Scraped(targets[2], None, "answered 500")
    assert by_process["h:garbled"].samples is None
    assert by_process["h:garbled"].error


async def test_a_process_that_refuses_connections_is_named() -> None:
    target = Target("h:gone", "worker", "http://127.0.0.1:1/metrics")
    async with aiohttp.ClientSession() as http:
        (scraped,) = await scrape_all(http, [target], timeout_s=2.0)
    assert scraped == Scraped(target, None, "ClientConnectorError")


async def test_api_and_worker_heartbeats_are_read_newest_first_and_forgotten_when_long_gone(
    redis: Redis,
) -> None:
    now = 100 * FORGET_AFTER_MS
    await heartbeats.beat_api(redis, "g", ApiHeartbeat("a:1", now - 1_000, 0, "http://a:1/m"))
    await heartbeats.beat_api(redis, "g", ApiHeartbeat("a:2", now - 10, 0, "http://a:2/m"))
    await heartbeats.beat_api(
        redis, "g", ApiHeartbeat("a:3", now - FORGET_AFTER_MS - 1, 0, "http://a:3/m")
    )
    await heartbeats.beat(redis, "g", Heartbeat("w:1", now, 0, metrics_url="http://w:1/m"))
    apis = await heartbeats.read_api_heartbeats(redis, "g", now)
    assert [a.process for a in apis] == ["a:2", "a:1"]
    assert await redis.hlen("lr:ops:{g:g}:api") == 2
    (worker,) = await heartbeats.read_heartbeats(redis, "g", now)
    assert worker.metrics_url == "http://w:1/m"
