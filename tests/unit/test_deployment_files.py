"""docker-compose.yml, docker-compose.cluster.yml and .env.example cannot run here, so check
they agree with the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import BaseModel

from learning_record.cli.main import cli
from learning_record.cli.stack.local_stack import (
    CLUSTER_NODES,
    CLUSTER_WORKERS,
    REDIS_MASTERS,
    REDIS_REPLICAS_PER_MASTER,
    as_cluster,
)
from learning_record.cli.stack.redis_server import (
    CLUSTER_NODE_TIMEOUT_MS,
    CLUSTER_REPLICA_VALIDITY_FACTOR,
)
from learning_record.platform.settings import RedisSettings, Settings

REPO = Path(__file__).resolve().parents[2]


def setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {f"LR_{name.upper()}__{sub.upper()}" for sub in annotation.model_fields}
        else:
            names.add(f"LR_{name.upper()}")
    return names


def compose(name: str = "docker-compose.yml") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / name).read_text())
    return loaded


def cluster_compose() -> dict[str, Any]:
    return compose("docker-compose.cluster.yml")


def test_compose_runs_broker_redis_worker_and_api() -> None:
    assert set(compose()["services"]) == {"kafka", "redis", "worker", "api"}


def test_compose_commands_are_lr_commands() -> None:
    commands = set(typer.main.get_group(cli).commands)
    for service in ("worker", "api"):
        (command,) = compose()["services"][service]["command"]
        assert command in commands


def test_compose_environment_names_only_real_settings() -> None:
    services = compose()["services"]
    for service in ("worker", "api"):
        unknown = set(services[service]["environment"]) - setting_names()
        assert not unknown, f"{service} sets unknown variables {unknown}"


def test_compose_broker_uses_the_same_kafka_version_as_the_pom() -> None:
    pom_version = re.search(
        r"<kafka.version>(.+)</kafka.version>", (REPO / "deploy/kafka/pom.xml").read_text()
    )
    assert pom_version is not None
    assert compose()["services"]["kafka"]["image"] == f"apache/kafka:{pom_version.group(1)}"


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    documented = set(
        re.findall(r"^#?\s*(LR_[A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M)
    )
    assert documented == setting_names()


def test_cluster_compose_runs_the_topology_of_lr_dev_cluster() -> None:
    services = cluster_compose()["services"]
    nodes = sorted(name for name in services if name.startswith("kafka-"))
    redis = sorted(name for name in services if re.fullmatch(r"redis-\d", name))
    workers = sorted(name for name in services if name.startswith("worker-"))
    assert len(nodes) == CLUSTER_NODES
    assert len(redis) == REDIS_MASTERS * (1 + REDIS_REPLICAS_PER_MASTER)
    assert len(workers) == CLUSTER_WORKERS
    assert set(services) == {*nodes, *redis, "redis-cluster-create", *workers, "api"}
    for service in [*workers, "api"]:
        (command,) = services[service]["command"]
        assert command in set(typer.main.get_group(cli).commands)
        unknown = set(services[service]["environment"]) - setting_names()
        assert not unknown, f"{service} sets unknown variables {unknown}"


def test_cluster_compose_replicates_as_lr_dev_cluster() -> None:
    """Every node and every process of the compose cluster says what ``as_cluster`` says."""
    ours = as_cluster(Settings(_env_file=None)).kafka
    services = cluster_compose()["services"]
    voters = {f"{n}@kafka-{n}:9093" for n in range(1, CLUSTER_NODES + 1)}
    for node in range(1, CLUSTER_NODES + 1):
        environment = services[f"kafka-{node}"]["environment"]
        assert environment["KAFKA_NODE_ID"] == str(node)
        assert set(environment["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        assert environment["KAFKA_DEFAULT_REPLICATION_FACTOR"] == str(ours.replication_factor)
        assert environment["KAFKA_MIN_INSYNC_REPLICAS"] == str(ours.min_insync_replicas)
        assert services[f"kafka-{node}"]["image"] == compose()["services"]["kafka"]["image"]
    for service in ("worker-1", "worker-2", "api"):
        environment = services[service]["environment"]
        assert environment["LR_KAFKA__REPLICATION_FACTOR"] == str(ours.replication_factor)
        assert environment["LR_KAFKA__MIN_INSYNC_REPLICAS"] == str(ours.min_insync_replicas)
        assert len(environment["LR_KAFKA__BOOTSTRAP_SERVERS"].split(",")) == CLUSTER_NODES
        nodes = RedisSettings.model_validate_json(
            f'{{"cluster_nodes": {environment["LR_REDIS__CLUSTER_NODES"]}}}'
        ).cluster_nodes
        assert nodes == [f"redis-{n}:6379" for n in range(1, REDIS_MASTERS + 1)]
    create = " ".join(services["redis-cluster-create"]["command"])
    assert f"--cluster-replicas {REDIS_REPLICAS_PER_MASTER}" in create
    for node in range(1, REDIS_MASTERS * (1 + REDIS_REPLICAS_PER_MASTER) + 1):
        command = services[f"redis-{node}"]["command"]
        assert "--cluster-enabled" in command
        assert _option(command, "--cluster-node-timeout") == str(CLUSTER_NODE_TIMEOUT_MS)
        assert _option(command, "--cluster-replica-validity-factor") == str(
            CLUSTER_REPLICA_VALIDITY_FACTOR
        )
        assert f"redis-{node}" in services["redis-cluster-create"]["depends_on"]


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]
