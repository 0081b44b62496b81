"""A fresh stack for one scenario: broker, Redis, one worker and one API, started by the
project's own launcher (``LocalStack``) on free ports in a temporary folder, and removed after;
or the cluster of ``lr dev --cluster`` (three Kafka nodes, a Redis Cluster of six, two workers,
two API processes sharing one port).

The stack is caught up when the worker's group has committed every record of the statements
topic and of both operation topics: the reading the API's ``consistent_through`` is made of,
here read without the API's one-second cache so that the end of a run is seen when it happens.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench import REPOSITORY
from learning_record.cli import keys_admin
from learning_record.cli.stack.local_stack import (
    CLUSTER_APIS,
    CLUSTER_EXTRA_PORTS,
    CLUSTER_WORKERS,
    LocalStack,
    as_cluster_on_ports,
    for_local_stack,
)
from learning_record.cli.stack.processes import ManagedProcess
from learning_record.domain.access import IssuedKey, Scope
from learning_record.ops.consumer_lag import GroupLag, LagReader
from learning_record.platform.settings import (
    ApiSettings,
    KafkaSettings,
    Settings,
    StackSettings,
    WorkerSettings,
)
from tests.ports import free_ports

KAFKA_LIBS = REPOSITORY / ".cache" / "kafka" / "libs"


def stack_settings(data_dir: Path, *, cluster: bool = False) -> Settings:
    """Default settings but for ports and folders: the figures are those of a default stack."""
    kafka_port, controller_port, redis_port, api_port, *more = free_ports(
        4 + (CLUSTER_EXTRA_PORTS if cluster else 0)
    )
    settings = Settings(
        kafka=KafkaSettings(topic_prefix="bench"),
        api=ApiSettings(port=api_port),
        worker=WorkerSettings(app_id="bench", data_dir=data_dir / "worker"),
        stack=StackSettings(
            data_dir=data_dir,
            kafka_port=kafka_port,
            kafka_controller_port=controller_port,
            redis_port=redis_port,
            redis_persistence=False,
            kafka_libs=KAFKA_LIBS,
        ),
    )
    return for_local_stack(as_cluster_on_ports(settings, more) if cluster else settings)


@dataclass
class BenchStack:
    settings: Settings
    workers: list[ManagedProcess]
    apis: list[ManagedProcess]
    processes: list[ManagedProcess]  # every one: Kafka nodes, Redis, workers, APIs

    @property
    def worker(self) -> ManagedProcess:
        return self.workers[0]

    @property
    def api(self) -> ManagedProcess:
        return self.apis[0]

    @property
    def base_url(self) -> str:
        api = self.settings.api
        return f"http://{api.host}:{api.port}/learningrecord/v1"

    async def new_tenant_key(self, label: str) -> IssuedKey:
        """A key of a tenant of its own, unlimited, that the API already knows."""
        key = await keys_admin.create_key(
            self.settings,
            tenant=f"{label}{uuid.uuid4().hex[:8]}",
            name="bench",
            scopes=(Scope.ALL,),
            plan="custom",
        )
        await self._until_api_knows(key)
        return key

    async def _until_api_knows(self, key: IssuedKey) -> None:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                async with http.get(
                    f"{self.base_url}/statements",
                    params={"limit": "1"},
                    headers=api_headers(key),
                ) as response:
                    if response.status == 200:
                        return
                await asyncio.sleep(0.05)
        raise TimeoutError("the API did not learn the bench key within 30 s")

    async def records_in_statements_topic(self) -> int:
        reader = self.lag_reader()
        await reader.start()
        try:
            ends = await reader.end_offsets(self.settings.kafka.statements_topic)
            return sum(ends.values())
        finally:
            await reader.stop()

    def lag_reader(self) -> LagReader:
        """A reader of the worker group's progress on everything indicators wait for."""
        kafka = self.settings.kafka
        return LagReader(
            kafka,
            self.settings.worker.app_id,
            [kafka.statements_topic, kafka.learner_ops_topic, kafka.activity_ops_topic],
            cache_s=0.0,
        )


def api_headers(key: IssuedKey) -> dict[str, str]:
    return {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}


def caught_up(lag: GroupLag, statements_topic: str, records_at_least: int) -> bool:
    """Every record committed, and the statements topic holds at least what was sent."""
    sent = sum(p.log_end for p in lag.partitions if p.topic == statements_topic)
    return sent >= records_at_least and all(p.committed >= p.log_end for p in lag.partitions)


@dataclass(frozen=True, slots=True)
class RunStart:
    """What a progress line needs to show a rate so far: when the run started, how many
    records the statements topic held before it, and statements per record."""

    started: float  # perf_counter
    records_before: int
    statements_per_record: int = 1


async def wait_caught_up(
    stack: BenchStack,
    records_at_least: int,
    *,
    label: str,
    run: RunStart | None = None,
    stall_s: float = 300.0,
) -> float:
    """Poll every 50 ms until the worker has committed everything; the ``perf_counter`` time
    of the first reading that shows it. Fails only when nothing moved for ``stall_s``."""
    reader = stack.lag_reader()
    await reader.start()
    try:
        topic = stack.settings.kafka.statements_topic
        last_progress, moved_at, printed_at = -1, time.monotonic(), time.monotonic()
        while True:
            lag = await reader.read()
            if caught_up(lag, topic, records_at_least):
                return time.perf_counter()
            progress = sum(p.committed for p in lag.partitions)
            now = time.monotonic()
            if progress != last_progress:
                last_progress, moved_at = progress, now
            elif now - moved_at > stall_s:
                raise TimeoutError(f"{label}: the worker made no progress for {stall_s:.0f} s")
            if now - printed_at >= 5:
                print(f"    {label}: {_progress_line(lag, topic, run)}", flush=True)
                printed_at = now
            await asyncio.sleep(0.05)
    finally:
        await reader.stop()


def _progress_line(lag: GroupLag, topic: str, run: RunStart | None) -> str:
    line = f"worker {lag.messages:,} records behind"
    if run is None:
        return line
    counted = sum(p.committed for p in lag.partitions if p.topic == topic) - run.records_before
    rate = counted * run.statements_per_record / (time.perf_counter() - run.started)
    return f"{line}; taken from the statements topic so far: {rate:,.0f} statements/s"


@asynccontextmanager
async def fresh_stack(scenario: str, *, cluster: bool = False) -> AsyncIterator[BenchStack]:
    """Start broker, Redis, worker and API (``cluster``: those of ``lr dev --cluster``) in a
    temporary folder; stop and remove them after.

    The launcher is synchronous and runs event loops of its own: it runs in a thread."""
    with tempfile.TemporaryDirectory(prefix=f"lr-bench-{scenario}-") as folder:
        settings = stack_settings(Path(folder), cluster=cluster)
        with LocalStack(settings) as local:
            print(f"  starting a fresh stack in {folder}", flush=True)
            await asyncio.to_thread(local.start_services)
            if cluster:
                workers = [
                    await asyncio.to_thread(local.start_worker, f"worker-{number}")
                    for number in range(1, CLUSTER_WORKERS + 1)
                ]
                apis = await asyncio.to_thread(local.start_shared_apis, free_ports(CLUSTER_APIS))
            else:
                workers = [await asyncio.to_thread(local.start_worker)]
                apis = [await asyncio.to_thread(local.start_api)]
            try:
                yield BenchStack(settings, workers, apis, list(local.processes))
            except BaseException:
                kept = Path(tempfile.mkdtemp(prefix=f"lr-bench-{scenario}-logs-"))
                shutil.copytree(local.log_dir, kept, dirs_exist_ok=True)
                print(f"  {scenario} failed: the stack's logs are kept in {kept}", flush=True)
                raise
            finally:
                await asyncio.to_thread(local.stop)
