"""take_request.lua and take_statements.lua: a key's request window and monthly quota."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import cast

import pytest

from learning_record.store import keys
from learning_record.store.connection import RedisClient
from learning_record.store.rate_limits import QuotaDecision, RateLimiter
from tests.component.scripts.entries import TENANT

MARCH = datetime(2026, 3, 15, tzinfo=UTC)


async def test_requests_past_the_limit_of_a_window_are_refused(script_redis: RedisClient) -> None:
    limiter = RateLimiter(script_redis)

    decisions = [await limiter.take_request(TENANT, "k1", limit=2) for _ in range(3)]

    assert [(d.allowed, d.remaining) for d in decisions] == [(True, 1), (True, 0), (False, 0)]
    assert all(0 < d.reset_ms <= 1_000 for d in decisions)
    state = cast(bytes, await script_redis.get(keys.request_window(TENANT, "k1")))
    window, count = state.split(b":")  # the second it counts, and its requests
    assert int(window) == pytest.approx(time.time(), abs=5)
    assert count == b"2"
    assert 0 < await script_redis.pttl(keys.request_window(TENANT, "k1")) <= 2_000


async def test_a_batch_that_would_pass_the_quota_is_refused_whole(
    script_redis: RedisClient,
) -> None:
    limiter = RateLimiter(script_redis)

    taken = [
        await limiter.take_statements(TENANT, "k1", count, quota=10, now=MARCH)
        for count in (6, 5, 4)
    ]

    assert taken == [
        QuotaDecision(True, 10, 6),
        QuotaDecision(False, 10, 6),
        QuotaDecision(True, 10, 10),
    ]
    month_key = keys.statement_quota(TENANT, "k1", "2026-03")
    assert await script_redis.ttl(month_key) == 40 * 24 * 3600
