"""The statement view: statement documents by tenant and id. Writes are first-write-wins, so the
API's write after Kafka's ack and the worker's later write of the same statement agree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from serving import keys


def queue_statement_writes(
    pipe: Pipeline, tenant: str, documents: Iterable[tuple[str, bytes]]
) -> None:
    """Queue ``SET NX`` of each (id, JSON document) on ``pipe``; the caller executes it."""
    for statement_id, document in documents:
        pipe.set(keys.statement(tenant, statement_id), document, nx=True)


async def store_statements(
    redis: Redis, tenant: str, documents: Iterable[tuple[str, bytes]]
) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        queue_statement_writes(pipe, tenant, documents)
        await pipe.execute()


async def fetch_statement(redis: Redis, tenant: str, statement_id: str) -> bytes | None:
    return cast(bytes | None, await redis.get(keys.statement(tenant, statement_id)))
