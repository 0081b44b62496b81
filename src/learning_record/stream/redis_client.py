"""The worker's Redis connection pool and its patience with a Redis that is briefly away."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from learning_record.platform import logs, metrics
from learning_record.store.connection import REDIS_UNAVAILABLE, open_redis
from learning_record.stream.app import settings
from learning_record.stream.patience import until_it_works

log = logs.get_logger(__name__)

T = TypeVar("T")

# The Redis mirror of every batch goes through this client; a call past 10 s fails and
# with_retries tries again.
redis = open_redis(settings.redis, deadline_s=10)


async def with_retries(operation: Callable[[], Awaitable[T]], what: str) -> T:
    """Retry a Redis operation until it succeeds: the view must catch up, never skip a batch."""

    def tell(error: Exception, delay: float) -> None:
        metrics.REDIS_ERRORS.labels(metrics.WORKER, what).inc()
        log.warning("redis_write_retry", what=what, error=str(error), delay_s=round(delay, 1))

    return await until_it_works(operation, REDIS_UNAVAILABLE, tell)
