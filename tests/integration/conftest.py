"""One real broker and one real Redis per test session, on free ports in a temporary folder.

Tests share one worker and one API and isolate themselves by tenant; tests that crash or
restart a worker get their own topic prefix and consumer group.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from learning_record.cli import keys_admin
from learning_record.cli.stack.local_stack import LocalStack, for_local_stack
from learning_record.domain.access import IssuedKey, Scope
from learning_record.platform.settings import (
    ApiSettings,
    KafkaSettings,
    ProcessSettings,
    Settings,
    StackSettings,
    WorkerSettings,
)
from tests.ports import free_ports

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def isolated_settings(base: Settings, label: str) -> Settings:
    """Same broker and Redis, but topics and consumer group of its own."""
    suffix = f"{label}-{uuid.uuid4().hex[:8]}"
    return base.model_copy(
        update={
            "kafka": base.kafka.model_copy(update={"topic_prefix": f"lr-{suffix}"}),
            "worker": base.worker.model_copy(update={"app_id": f"lr-{suffix}"}),
        }
    )


def settings_on_ports(data_dir: Path, label: str, ports: list[int]) -> Settings:
    """A whole stack's settings on ``ports`` (API, worker metrics, Kafka, its controller,
    Redis), its files in ``data_dir``, its topics and group named after ``label``."""
    api_port, metrics_port, kafka_port, controller_port, redis_port = ports
    return Settings(
        kafka=KafkaSettings(topic_prefix=f"lr-{label}", partitions=4),
        api=ApiSettings(port=api_port),
        worker=WorkerSettings(
            app_id=f"lr-{label}",
            broker_session_timeout_s=6.0,
            broker_heartbeat_interval_s=1.0,
            metrics_port=metrics_port,
            data_dir=data_dir / "worker",
        ),
        stack=StackSettings(
            data_dir=data_dir,
            kafka_port=kafka_port,
            kafka_controller_port=controller_port,
            redis_port=redis_port,
            redis_persistence=False,
            kafka_libs=REPO / ".cache/kafka/libs",
        ),
    )


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("stack")
    settings = settings_on_ports(data_dir, "shared", free_ports(5))
    settings = settings.model_copy(
        update={
            "api": settings.api.model_copy(update={"check_responses": True}),
            # The raw stream's mappings, which tests write while the worker runs.
            "process": ProcessSettings(mappings_dir=data_dir / "mappings"),
        }
    )
    return for_local_stack(settings)


@pytest.fixture(scope="session")
def services(stack_settings: Settings) -> Iterator[LocalStack]:
    """Kafka and Redis, for the whole session."""
    with LocalStack(stack_settings) as stack:
        stack.start_services()
        yield stack


@pytest.fixture(scope="session")
def shared_app(services: LocalStack) -> Iterator[LocalStack]:
    """One worker and one API on the shared topics."""
    with LocalStack(services.settings) as app_processes:
        app_processes.start_worker()
        app_processes.start_api()
        yield app_processes


@pytest.fixture(scope="session")
def second_api(shared_app: LocalStack) -> Iterator[str]:
    """Another API process on the same Redis and broker: its base URL."""
    (port,) = free_ports(1)
    settings = shared_app.settings.model_copy(
        update={"api": shared_app.settings.api.model_copy(update={"port": port})}
    )
    with LocalStack(settings) as processes:
        processes.start_api()
        yield f"http://{settings.api.host}:{port}/learningrecord/v1"


@pytest.fixture(scope="session")
def settings(shared_app: LocalStack) -> Settings:
    return shared_app.settings


@pytest.fixture(scope="session")
def base_url(settings: Settings) -> str:
    return f"http://{settings.api.host}:{settings.api.port}/learningrecord/v1"


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="session")
async def redis(stack_settings: Settings, services: LocalStack) -> AsyncIterator[Redis]:
    client = Redis.from_url(stack_settings.redis.url)
    yield client
    await client.aclose()


async def issue_key(
    settings: Settings,
    scopes: tuple[Scope, ...] = (Scope.ALL,),
    tenant: str | None = None,
    plan: str = "custom",
    statements_per_month: int | None = None,
) -> IssuedKey:
    """A key for a test; the custom plan without limits unless the test is about limits."""
    return await keys_admin.create_key(
        settings,
        tenant=tenant or f"t{uuid.uuid4().hex[:10]}",
        name="test",
        scopes=scopes,
        plan=plan,
        statements_per_month=statements_per_month,
    )


@pytest.fixture
async def tenant_key(settings: Settings) -> IssuedKey:
    """A key of a tenant no other test uses."""
    return await issue_key(settings)
