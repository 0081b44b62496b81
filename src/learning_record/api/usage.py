"""Fair use: the per-key request rate and the monthly statement quota of the key's usage plan.

Every authenticated response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds); a refused request is a 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from learning_record.api.app_keys import RATE_LIMITER, SETTINGS
from learning_record.api.errors import ApiError
from learning_record.api.request_context import context_of
from learning_record.domain.access import ApiKeyRecord
from learning_record.platform import metrics
from learning_record.store.rate_limits import RateDecision


async def take_request(request: web.Request, key: ApiKeyRecord) -> None:
    """Count this request against the key's rate; 429 when the window is full."""
    limit = key.usage_plan(request.config_dict[SETTINGS].plans).requests_per_s
    if limit is None:
        return
    decision = await request.config_dict[RATE_LIMITER].take_request(key.tenant, key.key_id, limit)
    context_of(request).rate = decision
    if not decision.allowed:
        metrics.RATE_LIMITED.labels(metrics.API, key.plan, "requests").inc()
        raise ApiError(
            429,
            "rate_limited",
            f"rate limit of {limit} requests per second exceeded for this key's plan "
            f"{key.plan!r}; retry after the Retry-After header",
            {"limit": limit, "plan": key.plan},
            headers={"Retry-After": str(max(1, math.ceil(decision.reset_ms / 1000)))},
        )


async def take_statements(request: web.Request, key: ApiKeyRecord, count: int) -> None:
    """Count ``count`` statements against the month's quota; the whole batch or none."""
    quota = key.usage_plan(request.config_dict[SETTINGS].plans).statements_per_month
    if quota is None:
        return
    decision = await request.config_dict[RATE_LIMITER].take_statements(
        key.tenant, key.key_id, count, quota
    )
    if not decision.allowed:
        metrics.RATE_LIMITED.labels(metrics.API, key.plan, "statements").inc()
        raise ApiError(
            429,
            "quota_exhausted",
            f"monthly statement quota exhausted: {decision.used} of {quota} statements used "
            f"this month, and this batch has {count}; the quota, not the request rate, is the "
            "limit",
            {"quota": quota, "used": decision.used, "batch": count, "plan": key.plan},
            headers={"Retry-After": str(_seconds_to_next_month())},
        )


async def give_back_statements(request: web.Request, key: ApiKeyRecord, count: int) -> None:
    if key.usage_plan(request.config_dict[SETTINGS].plans).statements_per_month is not None:
        await request.config_dict[RATE_LIMITER].give_back_statements(key.tenant, key.key_id, count)


@dataclass(frozen=True, slots=True)
class KeyQuota:
    """The monthly statement quota of the key a request authenticated with (the statement
    intake's quota port)."""

    request: web.Request
    key: ApiKeyRecord

    async def take(self, count: int) -> None:
        await take_statements(self.request, self.key, count)

    async def give_back(self, count: int) -> None:
        await give_back_statements(self.request, self.key, count)


def _seconds_to_next_month() -> int:
    now = datetime.now(UTC)
    first_next = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    return max(1, math.ceil((first_next - now).total_seconds()))


def rate_headers(decision: RateDecision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(max(1, math.ceil(decision.reset_ms / 1000))),
    }
