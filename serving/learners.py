"""The learner view: counters the worker mirrors from its tables, read by the API."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from serving import keys

STATEMENTS_FIELD = "statements"


def queue_statement_count(pipe: Pipeline, tenant: str, learner_id: str, count: int) -> None:
    # An idempotent overwrite with the table's value: replays and redeliveries cannot inflate it.
    pipe.hset(keys.learner(tenant, learner_id), STATEMENTS_FIELD, count)


async def fetch_statement_count(redis: Redis, tenant: str, learner_id: str) -> int:
    value = await redis.hget(keys.learner(tenant, learner_id), STATEMENTS_FIELD)
    return int(value) if value is not None else 0
