"""Component tests: our code over a real ``redis-server`` (no broker), started once per session
on a free port in a temporary folder, with a fresh database for every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from learning_record.cli.stack.ports import free_ports
from learning_record.cli.stack.redis_server import RedisServerConfig, redis_process, wait_ready


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    (port,) = free_ports(1)
    process = redis_process(
        RedisServerConfig(tmp_path_factory.mktemp("redis"), port, persistence=False)
    )
    process.start()
    try:
        wait_ready(process, port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()
