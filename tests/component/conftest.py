"""Component tests: our code over a real ``redis-server`` (no broker), started once per session
on a free port in a temporary folder, with a fresh database for every test. Every Lua script
they run is checked to touch only the keys it declares (``declared_keys``)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis import Redis as SyncRedis
from redis import RedisError
from redis.asyncio import Redis

from learning_record.cli.stack.processes import ManagedProcess, wait_until
from learning_record.cli.stack.redis_server import RedisServerConfig, redis_process, wait_ready
from learning_record.platform.settings import RedisSettings
from learning_record.store.connection import RedisClient, open_redis
from learning_record.store.lua import LuaScript
from tests.certificates import self_signed
from tests.component.api_app import ApiUnderTest, api_under_test
from tests.component.declared_keys import guarded
from tests.component.doubles import RecordingTopics
from tests.ports import free_ports


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    (port,) = free_ports(1)
    process = redis_process(
        RedisServerConfig(tmp_path_factory.mktemp("redis"), port, persistence=False)
    )
    process.start()
    try:
        wait_ready(process, port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def cluster_redis_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A one-node Redis Cluster owning every slot: it refuses a script whose keys are not all in
    one slot, as a real cluster does."""
    port, bus_port = free_ports(2)  # the bus port: the default (port + 10000) may not exist
    data = tmp_path_factory.mktemp("redis-cluster")
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data)]
    argv += ["--save", "", "--appendonly", "no"]
    argv += ["--cluster-enabled", "yes", "--cluster-port", str(bus_port)]
    process = ManagedProcess("redis-cluster", argv, log_path=data / "redis.log")
    process.start()
    try:
        wait_ready(process, port)
        cluster_command(port, "ADDSLOTSRANGE", "0", "16383")
        wait_until("cluster ok", lambda: "cluster_state:ok" in cluster_command(port, "INFO"), 30)
        yield f"127.0.0.1:{port}"
    finally:
        process.stop()


CLUSTER_PASSWORD = "a cluster's own password"


@dataclass(frozen=True)
class SecuredNode:
    """A one-node Redis Cluster that speaks only TLS and asks for a password."""

    address: str  # host:port
    certificate: Path  # the server's certificate, self-signed: what a client must trust


@pytest.fixture(scope="session")
def secured_cluster_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredNode]:
    port, bus_port = free_ports(2)
    data = tmp_path_factory.mktemp("redis-cluster-tls")
    certificate, key = self_signed(data)
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", "0", "--dir", str(data)]
    argv += ["--tls-port", str(port), "--tls-cert-file", str(certificate)]
    argv += ["--tls-key-file", str(key), "--tls-ca-cert-file", str(certificate)]
    argv += ["--tls-auth-clients", "no", "--tls-cluster", "yes"]
    argv += ["--requirepass", CLUSTER_PASSWORD, "--masterauth", CLUSTER_PASSWORD]
    argv += ["--save", "", "--appendonly", "no"]
    argv += ["--cluster-enabled", "yes", "--cluster-port", str(bus_port)]
    process = ManagedProcess("redis-cluster-tls", argv, log_path=data / "redis.log")
    process.start()
    client = SyncRedis(
        port=port,
        ssl=True,
        ssl_ca_certs=str(certificate),
        password=CLUSTER_PASSWORD,
        socket_timeout=1,
        decode_responses=True,
    )
    try:
        wait_until("TLS PING", lambda: _answers(client), 30, process)
        client.cluster("ADDSLOTSRANGE", "0", "16383")
        wait_until("cluster ok", lambda: client.cluster("INFO")["cluster_state"] == "ok", 30)
        yield SecuredNode(f"127.0.0.1:{port}", certificate)
    finally:
        client.close()
        process.stop()


def _answers(client: SyncRedis) -> bool:
    try:
        return bool(client.ping())
    except RedisError:
        return False


def cluster_command(port: int, *words: str) -> str:
    argv = ["redis-cli", "-p", str(port), "CLUSTER", *words]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


@pytest.fixture(params=["standalone", "cluster"])
async def script_redis(
    request: pytest.FixtureRequest, redis_url: str, cluster_redis_node: str
) -> AsyncIterator[RedisClient]:
    """A fresh database on a plain redis-server, then on a one-node cluster through the cluster
    client that ``LR_REDIS__CLUSTER_NODES`` selects: the script tests run on both."""
    if request.param == "standalone":
        settings = RedisSettings(url=redis_url)
    else:
        settings = RedisSettings(cluster_nodes=[cluster_redis_node])
    client = open_redis(settings)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture(autouse=True)
def scripts_declare_their_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every script a component test runs fails on a key it does not declare."""
    shipped = LuaScript.__dict__["source"].func
    monkeypatch.setattr(LuaScript, "source", property(lambda script: guarded(shipped(script))))


@pytest.fixture
async def api(redis: Redis, redis_url: str) -> AsyncIterator[ApiUnderTest]:
    """The API app on a fresh database, with doubles for Kafka (``api_app``)."""
    async for under_test in api_under_test(redis_url):
        yield under_test


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> RecordingTopics:
    """What the worker's agents send to Kafka, kept instead (``RecordingTopics``)."""
    recording = RecordingTopics()
    recording.install(monkeypatch)
    return recording
