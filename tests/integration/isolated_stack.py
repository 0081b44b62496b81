"""A worker group of its own (topics, consumer group) with an API of its own, on the session's
broker and Redis: for tests that kill, stop or add workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from aiokafka.admin import AIOKafkaAdminClient

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.ops.consumer_lag import GroupLag, LagReader
from learning_record.platform.settings import Settings
from tests.integration.conftest import isolated_settings
from tests.ports import free_ports


@contextmanager
def isolated_stack(base: Settings, label: str) -> Iterator[LocalStack]:
    """Processes are started by the test (``start_worker``, ``start_api``) and stopped here."""
    (api_port,) = free_ports(1)
    settings = isolated_settings(base, label)
    settings = settings.model_copy(
        update={"api": settings.api.model_copy(update={"port": api_port})}
    )
    with LocalStack(settings) as processes:
        yield processes


def base_url_of(settings: Settings) -> str:
    return f"http://{settings.api.host}:{settings.api.port}/learningrecord/v1"


async def read_statements_lag(settings: Settings, *, discover: bool = False) -> GroupLag:
    """The worker group's lag on the statements topic; ``discover`` also asks who owns what."""
    reader = LagReader(
        settings.kafka.bootstrap_servers,
        settings.worker.app_id,
        [settings.kafka.statements_topic],
        discover=discover,
    )
    await reader.start()
    try:
        return await reader.read()
    finally:
        await reader.stop()


@asynccontextmanager
async def committed_offsets(settings: Settings) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """A probe of every offset the worker group committed (its input and operation topics;
    Faust commits none on its changelogs): how far its work went, to wait on progress rather
    than on a clock. One admin client and one request a probe, for a whole wait: a lag reader a
    probe (clients, metadata, records fetched for their timestamps) took CPU from the worker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    await admin.start()

    async def committed() -> int:
        offsets = await admin.list_consumer_group_offsets(settings.worker.app_id)
        return sum(meta.offset for meta in offsets.values() if meta.offset > 0)

    try:
        yield committed
    finally:
        await admin.close()
