"""Debian's redis-server, bound to loopback, with AOF persistence or none: one server, or the
nodes of a Redis Cluster that ``redis-cli --cluster create`` joins (docs/cluster.md)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import redis

from learning_record.cli.stack.processes import ManagedProcess, wait_until

# How long a cluster node may be silent before the others fail it over to its replica: short,
# so that a master lost on a laptop is replaced within seconds.
CLUSTER_NODE_TIMEOUT_MS = 2000
# 0: a replica takes over however long it was cut off from its master. Availability first: the
# writes it missed are in Kafka, and `lr verify` and `lr replay` find and restore them.
CLUSTER_REPLICA_VALIDITY_FACTOR = 0


@dataclass(frozen=True)
class RedisServerConfig:
    data_dir: Path
    port: int
    persistence: bool
    cluster_bus_port: int | None = None  # a node of a Redis Cluster, with this bus port

    @property
    def name(self) -> str:
        return "redis" if self.cluster_bus_port is None else f"redis-{self.port}"


def redis_process(config: RedisServerConfig) -> ManagedProcess:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: run `make deps` (apt-get install redis-server)")
    redis_dir = config.data_dir / config.name
    redis_dir.mkdir(parents=True, exist_ok=True)
    persistence = (
        ["--appendonly", "yes", "--appendfsync", "everysec"]
        if config.persistence
        else ["--appendonly", "no"]
    )
    cluster = (
        []
        if config.cluster_bus_port is None
        else [
            "--cluster-enabled",
            "yes",
            "--cluster-port",
            str(config.cluster_bus_port),
            "--cluster-config-file",
            "nodes.conf",  # in --dir: the node's identity and view of the cluster
            "--cluster-node-timeout",
            str(CLUSTER_NODE_TIMEOUT_MS),
            "--cluster-replica-validity-factor",
            str(CLUSTER_REPLICA_VALIDITY_FACTOR),
        ]
    )
    return ManagedProcess(
        config.name,
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(config.port),
            "--dir",
            str(redis_dir.resolve()),
            "--save",
            "",
            *persistence,
            *cluster,
            "--daemonize",
            "no",
        ],
        log_path=config.data_dir / "logs" / f"{config.name}.log",
    )


def pings(port: int) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def wait_ready(proc: ManagedProcess, port: int, timeout_s: float = 30) -> None:
    wait_until("Redis PING", lambda: pings(port), timeout_s, proc)


def cluster_info(port: int) -> dict[str, str]:
    """CLUSTER INFO of one node (empty when it does not answer)."""
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, decode_responses=True)
    try:
        return {key: str(value) for key, value in client.cluster("INFO").items()}
    except redis.RedisError:
        return {}
    finally:
        client.close()


def form_cluster(ports: list[int], replicas: int, timeout_s: float = 60) -> None:
    """Join fresh nodes into one cluster (masters first, then one replica per master each),
    unless they already are one (a restart keeps nodes.conf); wait until every slot is served."""
    if cluster_info(ports[0]).get("cluster_known_nodes") != str(len(ports)):
        binary = shutil.which("redis-cli")
        if binary is None:
            raise RuntimeError("redis-cli not found: run `make deps` (apt-get install redis-tools)")
        nodes = [f"127.0.0.1:{port}" for port in ports]
        create = [binary, "--cluster", "create", *nodes, "--cluster-replicas", str(replicas)]
        subprocess.run([*create, "--cluster-yes"], check=True, capture_output=True, timeout=60)
    wait_until(
        "Redis Cluster ok on every node",
        lambda: all(cluster_info(port).get("cluster_state") == "ok" for port in ports),
        timeout_s,
    )
