"""Failed authentication limited per client address, over a real ``redis-server``."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from learning_record.api.errors import ApiError
from learning_record.api.failed_auth import FailedAuthLimiter
from learning_record.store.rate_limits import RateLimiter


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_an_address_past_its_failures_is_refused_until_the_window_ends(redis: Redis) -> None:
    clock = Clock()
    limiter = FailedAuthLimiter(RateLimiter(redis), per_s=3, clock=clock)
    for _ in range(3):
        limiter.check("10.0.0.1")
        await limiter.charge("10.0.0.1")

    with pytest.raises(ApiError) as refused:
        await limiter.charge("10.0.0.1")
    assert refused.value.status == 429
    assert refused.value.code == "too_many_failed_authentications"
    assert refused.value.headers["Retry-After"] == "1"

    # Refused without a Redis round trip, correct credentials or not, until the window ends.
    with pytest.raises(ApiError):
        limiter.check("10.0.0.1")
    limiter.check("10.0.0.2")  # another address is not affected
    clock.now += 1.0
    limiter.check("10.0.0.1")
