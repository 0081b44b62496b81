"""Start broker, Redis and (optionally) worker and API on this machine, and stop them all."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import sys
import urllib.request
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel, SecretStr

from learning_record.cli.stack import kafka_broker, redis_server
from learning_record.cli.stack.processes import ManagedProcess, wait_until
from learning_record.platform.settings import KafkaNodePorts, RedisNodePorts, Settings
from learning_record.platform.topics import ensure_topics


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process (worker, API) exactly these settings."""
    env: dict[str, str] = {}
    # Unset optional settings (None) are left out: the child takes the same default.
    dumped = settings.model_dump(mode="json", exclude_none=True)
    _reveal_secrets(settings, dumped)
    for section, value in dumped.items():
        if isinstance(value, dict):
            for name, field_value in value.items():
                env[f"LR_{section.upper()}__{name.upper()}"] = _env_text(field_value)
        else:
            env[f"LR_{section.upper()}"] = _env_text(value)
    return env


def _reveal_secrets(model: BaseModel, dumped: dict[str, Any]) -> None:
    """A JSON dump masks secrets as "**********": a child given that would sign with it, a key
    anyone can guess, instead of the one configured. Nested models and lists of them (the
    master keys) are revealed too."""
    for name, value in model:
        if isinstance(value, SecretStr):
            dumped[name] = value.get_secret_value()
        elif isinstance(value, BaseModel):
            _reveal_secrets(value, dumped[name])
        elif isinstance(value, list):
            for item, item_dumped in zip(value, dumped.get(name, []), strict=False):
                if isinstance(item, BaseModel):
                    _reveal_secrets(item, item_dumped)


def _env_text(value: object) -> str:
    return json.dumps(value) if isinstance(value, bool | list | dict) else str(value)


def for_local_stack(settings: Settings) -> Settings:
    """Point the clients at the broker and Redis that the stack settings say we start."""
    stack = settings.stack
    ports = [stack.kafka_port, *(node.port for node in stack.kafka_extra_nodes)]
    return settings.model_copy(
        update={
            "kafka": settings.kafka.model_copy(
                update={"bootstrap_servers": ",".join(f"127.0.0.1:{port}" for port in ports)}
            ),
            "redis": settings.redis.model_copy(
                update={
                    "url": f"redis://127.0.0.1:{stack.redis_port}/0",
                    "cluster_nodes": [
                        f"127.0.0.1:{node.port}" for node in stack.redis_cluster_nodes
                    ],
                }
            ),
        }
    )


_CLIENT_VARIABLES = ("LR_KAFKA__BOOTSTRAP_SERVERS", "LR_REDIS__URL", "LR_REDIS__CLUSTER_NODES")


def client_variables(stack: Settings, plain: Settings) -> dict[str, str]:
    """The variables that point another ``lr`` command at ``stack``'s broker and Redis, where
    they differ from ``plain``'s (what that command would read without them)."""
    ours, theirs = settings_env(stack), settings_env(plain)
    return {name: ours[name] for name in _CLIENT_VARIABLES if ours[name] != theirs[name]}


def redis_address(settings: Settings) -> str:
    """Where the clients find Redis: its URL, or the cluster's nodes."""
    return ", ".join(settings.redis.cluster_nodes) or settings.redis.url


CLUSTER_NODES = 3
CLUSTER_WORKERS = 2
CLUSTER_APIS = 2
REDIS_MASTERS = 3
REDIS_REPLICAS_PER_MASTER = 1


def as_cluster(
    settings: Settings,
    extra: list[KafkaNodePorts] | None = None,
    redis_nodes: list[RedisNodePorts] | None = None,
) -> Settings:
    """The same stack on a cluster (docs/cluster.md): three Kafka nodes, each a broker and a
    controller, the two beside the first on ``extra`` ports (by default the ones after the first
    node's, or ``LR_STACK__KAFKA_EXTRA_NODES``); every topic replicated three times and
    acknowledged by two. A Redis Cluster of three masters with a replica each, on
    ``redis_nodes`` (by default the six ports after redis_port, or
    ``LR_STACK__REDIS_CLUSTER_NODES``). ``for_local_stack`` then points the clients at them."""
    stack = settings.stack
    if extra is None:
        extra = stack.kafka_extra_nodes or [
            KafkaNodePorts(
                port=stack.kafka_port + 2 * n, controller_port=stack.kafka_port + 2 * n + 1
            )
            for n in range(1, CLUSTER_NODES)
        ]
    if redis_nodes is None:
        # Redis's own bus port (port + 10000) unless told otherwise.
        redis_nodes = stack.redis_cluster_nodes or [
            RedisNodePorts(port=stack.redis_port + n, bus_port=stack.redis_port + n + 10000)
            for n in range(1, REDIS_MASTERS * (1 + REDIS_REPLICAS_PER_MASTER) + 1)
        ]
    kafka = settings.kafka.model_copy(
        update={"replication_factor": CLUSTER_NODES, "min_insync_replicas": CLUSTER_NODES - 1}
    )
    topology = {"kafka_extra_nodes": extra, "redis_cluster_nodes": redis_nodes}
    return settings.model_copy(update={"kafka": kafka, "stack": stack.model_copy(update=topology)})


# Ports a cluster needs beyond a single stack's: the two further Kafka nodes' listener and
# controller, and every Redis node's client and bus port.
CLUSTER_EXTRA_PORTS = 2 * (CLUSTER_NODES - 1) + 2 * REDIS_MASTERS * (1 + REDIS_REPLICAS_PER_MASTER)


def as_cluster_on_ports(settings: Settings, ports: Sequence[int]) -> Settings:
    """``as_cluster`` on ``CLUSTER_EXTRA_PORTS`` given ports (free ones: a test or a benchmark
    beside other stacks): the Kafka nodes' pairs first, then the Redis nodes'."""
    if len(ports) != CLUSTER_EXTRA_PORTS:
        raise ValueError(f"a cluster needs {CLUSTER_EXTRA_PORTS} more ports, not {len(ports)}")
    kafka, redis = ports[: 2 * (CLUSTER_NODES - 1)], ports[2 * (CLUSTER_NODES - 1) :]
    extra = [
        KafkaNodePorts(port=port, controller_port=controller)
        for port, controller in zip(kafka[::2], kafka[1::2], strict=True)
    ]
    redis_nodes = [
        RedisNodePorts(port=port, bus_port=bus)
        for port, bus in zip(redis[::2], redis[1::2], strict=True)
    ]
    return as_cluster(settings, extra, redis_nodes)


@dataclass
class LocalStack(AbstractContextManager["LocalStack"]):
    """Processes started in order and stopped in reverse, on error or Ctrl-C included."""

    settings: Settings
    processes: list[ManagedProcess] = field(default_factory=list)
    brokers: list[ManagedProcess] = field(default_factory=list)  # Kafka nodes, node 1 first
    redis: list[ManagedProcess] = field(default_factory=list)  # one, or the cluster's nodes

    @property
    def data_dir(self) -> Path:
        return self.settings.stack.data_dir

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def start_services(self) -> None:
        redis_configs = self.redis_nodes()
        self.redis = [redis_server.redis_process(config) for config in redis_configs]
        for proc in self.redis:
            self._start(proc)
        nodes = self.kafka_nodes()
        self.brokers = [kafka_broker.broker_process(node) for node in nodes]
        for broker in self.brokers:
            self._start(broker)
        for config, proc in zip(redis_configs, self.redis, strict=True):
            redis_server.wait_ready(proc, config.port)
        if self.settings.stack.redis_cluster_nodes:
            ports = [config.port for config in redis_configs]
            redis_server.form_cluster(ports, REDIS_REPLICAS_PER_MASTER)
        for node, broker in zip(nodes, self.brokers, strict=True):
            kafka_broker.wait_ready(broker, node.port, brokers=len(nodes))
        asyncio.run(ensure_topics(self.settings.kafka))

    def redis_nodes(self) -> list[redis_server.RedisServerConfig]:
        """The single Redis, or every node of the Redis Cluster (masters first)."""
        stack = self.settings.stack
        if not stack.redis_cluster_nodes:
            return [
                redis_server.RedisServerConfig(
                    self.data_dir, stack.redis_port, stack.redis_persistence
                )
            ]
        return [
            redis_server.RedisServerConfig(
                self.data_dir, node.port, stack.redis_persistence, cluster_bus_port=node.bus_port
            )
            for node in stack.redis_cluster_nodes
        ]

    def kafka_nodes(self) -> list[kafka_broker.KafkaBrokerConfig]:
        """The first node from the stack's ports, then any further ones: one cluster."""
        stack, kafka = self.settings.stack, self.settings.kafka
        ports = [
            (stack.kafka_port, stack.kafka_controller_port),
            *((node.port, node.controller_port) for node in stack.kafka_extra_nodes),
        ]
        cluster_id = (
            kafka_broker.formatted_cluster_id(self.data_dir) or kafka_broker.new_cluster_id()
        )
        if kafka.replication_factor > len(ports):
            raise ValueError(
                f"LR_KAFKA__REPLICATION_FACTOR is {kafka.replication_factor} but the stack runs "
                f"{len(ports)} Kafka node(s): no topic could be created (lr dev --cluster runs 3)"
            )
        voters = tuple((node_id, controller) for node_id, (_, controller) in enumerate(ports, 1))
        return [
            kafka_broker.KafkaBrokerConfig(
                data_dir=self.data_dir,
                libs_dir=stack.kafka_libs,
                port=port,
                controller_port=controller,
                cluster_id=cluster_id,
                heap=stack.kafka_heap,
                partitions=kafka.partitions,
                node_id=node_id,
                voters=voters,
                replication_factor=kafka.replication_factor,
                min_insync_replicas=kafka.min_insync_replicas,
            )
            for node_id, (port, controller) in enumerate(ports, 1)
        ]

    def start_worker(
        self, name: str = "worker", extra_env: dict[str, str] | None = None
    ) -> ManagedProcess:
        proc = self.lr_process(name, ["worker"], extra_env)
        self._start(proc)
        return proc

    def start_shared_apis(self, metrics_ports: Sequence[int]) -> list[ManagedProcess]:
        """One API process per metrics port, all on the API port (``reuse_port``); each is
        ready when its own /metrics answers (the shared port may answer for another one)."""
        host = self.settings.api.metrics_host
        return [
            self.start_api(
                {"LR_API__REUSE_PORT": "true", "LR_API__METRICS_PORT": str(port)},
                name=f"api-{number}",
                ready_url=f"http://{host}:{port}/metrics",
            )
            for number, port in enumerate(metrics_ports, 1)
        ]

    def start_api(
        self,
        extra_env: dict[str, str] | None = None,
        name: str = "api",
        ready_url: str | None = None,
    ) -> ManagedProcess:
        """Start an API process; return once ``ready_url`` answers (by default /health)."""
        proc = self.lr_process(name, ["api"], extra_env)
        self._start(proc)
        api = self.settings.api
        scheme = "https" if api.tls_cert is not None else "http"
        url = ready_url or f"{scheme}://{api.host}:{api.port}/learningrecord/v1/health"
        wait_until(f"{name} ready", lambda: _http_ok(url), 60, proc)
        return proc

    def lr_process(
        self, name: str, args: list[str], extra_env: dict[str, str] | None = None
    ) -> ManagedProcess:
        env = {**os.environ, **settings_env(self.settings), **(extra_env or {})}
        return ManagedProcess(
            name,
            [sys.executable, "-m", "learning_record.cli", *args],
            self.log_dir / f"{name}.log",
            env=env,
        )

    def _start(self, proc: ManagedProcess) -> None:
        proc.start()
        self.processes.append(proc)

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc in self.brokers:
                # All nodes at once: a node stopped after a majority of the controllers would
                # wait for its controlled shutdown until killed.
                for broker in self.brokers:
                    broker.signal(signal.SIGTERM)
            proc.stop()
        self.processes.clear()
        self.brokers.clear()
        self.redis.clear()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _http_ok(url: str) -> bool:
    # Only "is our own child up": the certificate (maybe self-signed) is the caller's to check.
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=1, context=context) as response:
            return bool(response.status == 200)
    except OSError:
        return False
