"""A worker group of its own (topics, consumer group) with an API of its own, on the session's
broker and Redis: for tests that kill, stop or add workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from learning_record.cli.stack.local_stack import (
    CLUSTER_EXTRA_PORTS,
    LocalStack,
    as_cluster_on_ports,
    for_local_stack,
)
from learning_record.ops.consumer_lag import (
    GroupLag,
    LagReader,
    committed_offsets,
    group_owners,
)
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import Settings
from tests.integration.conftest import isolated_settings, settings_on_ports
from tests.ports import free_ports
from tests.waiting import until


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


async def read_statements_lag(settings: Settings) -> GroupLag:
    """The worker group's lag on the statements topic."""
    reader = LagReader(settings.kafka, settings.worker.app_id, [settings.kafka.statements_topic])
    await reader.start()
    try:
        return await reader.read()
    finally:
        await reader.stop()


@dataclass(frozen=True)
class GroupProbe:
    """Where the worker group stands, one request a probe on one admin client for a whole wait:
    a lag reader a probe (clients, metadata, records fetched for their timestamps) took CPU from
    the workers, the API and the broker."""

    admin: AIOKafkaAdminClient
    settings: Settings

    async def committed(self) -> int:
        """Every offset the group committed (its input and operation topics; Faust commits none
        on its changelogs): how far its work went, to wait on progress rather than on a clock."""
        return sum((await committed_offsets(self.admin, self.settings.worker.app_id)).values())

    async def owners_of_statements(self) -> set[str]:
        """The members assigned partitions of the statements topic."""
        _state, owners = await group_owners(self.admin, self.settings.worker.app_id)
        statements = self.settings.kafka.statements_topic
        return {owner.member_id for tp, owner in owners.items() if tp.topic == statements}


@asynccontextmanager
async def group_probe(settings: Settings) -> AsyncIterator[GroupProbe]:
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        yield GroupProbe(admin, settings)
    finally:
        await admin.close()


def stack_of_its_own(data_dir: Path, label: str, *, cluster: bool = False) -> Settings:
    """Settings of a whole stack of its own (broker, Redis, worker, API) on free ports, for a
    test whose faults would hit the session's (a Redis flushed, a broker killed); ``cluster``:
    three Kafka nodes and a Redis Cluster of six, as ``lr dev --cluster`` runs them. The ports
    come from one ``free_ports`` call, so no two are the same."""
    ports = free_ports(5 + (CLUSTER_EXTRA_PORTS if cluster else 0))
    settings = settings_on_ports(data_dir, label, ports[:5])
    if cluster:
        settings = as_cluster_on_ports(settings, ports[5:])
    return for_local_stack(settings)


async def owned_by(settings: Settings, workers: int, what: str) -> None:
    """Wait until the statements topic's partitions are owned by ``workers`` members."""
    async with group_probe(settings) as group:
        await until(
            group.owners_of_statements,
            lambda owners: len(owners) == workers,
            within_s=120,
            what=what,
        )
