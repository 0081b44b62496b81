"""A worker group of its own (topics, consumer group) with an API of its own, on the session's
broker and Redis: for tests that kill, stop or add workers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


async def committed_offsets(settings: Settings) -> int:
    """Every offset the worker group committed on its input and operation topics: how far its
    work went, to wait on progress rather than on a clock."""
    kafka = settings.kafka
    reader = LagReader(
        kafka.bootstrap_servers,
        settings.worker.app_id,
        [kafka.statements_topic, kafka.learner_ops_topic, kafka.activity_ops_topic],
    )
    await reader.start()
    try:
        return sum(partition.committed for partition in (await reader.read()).partitions)
    finally:
        await reader.stop()
