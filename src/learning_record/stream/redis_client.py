"""The worker's Redis connection pool and its patience with a Redis that is briefly away."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from learning_record.platform import logs, metrics
from learning_record.store.connection import HiredisPackingConnection
from learning_record.stream.app import settings

log = logs.get_logger(__name__)

T = TypeVar("T")

redis = Redis.from_url(
    settings.redis.url,
    socket_timeout=10,
    health_check_interval=30,
    connection_class=HiredisPackingConnection,  # the Redis mirror of every batch, packed in C
)


async def with_retries(operation: Callable[[], Awaitable[T]], what: str) -> T:
    """Retry a Redis operation until it succeeds: the view must catch up, never skip a batch."""
    delay = 0.1
    while True:
        try:
            return await operation()
        except (RedisConnectionError, RedisTimeoutError) as error:
            metrics.REDIS_ERRORS.labels(metrics.WORKER, what).inc()
            log.warning("redis_write_retry", what=what, error=str(error), delay_s=round(delay, 1))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
