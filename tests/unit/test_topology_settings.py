"""Settings that choose the topology refuse what could never work, when they are read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from learning_record.cli.stack.local_stack import (
    LocalStack,
    as_cluster,
    client_variables,
    for_local_stack,
)
from learning_record.platform.settings import (
    ApiSettings,
    KafkaSettings,
    RedisSettings,
    Settings,
    StackSettings,
    WorkerSettings,
)
from learning_record.platform.topics import owned_topics


def test_more_in_sync_replicas_than_replicas_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"min_insync_replicas \(3\) exceeds"):
        KafkaSettings(replication_factor=2, min_insync_replicas=3)


def test_a_shared_port_needs_metrics_apart() -> None:
    with pytest.raises(ValidationError, match="reuse_port needs a metrics_port"):
        ApiSettings(reuse_port=True)
    assert ApiSettings(reuse_port=True, metrics_port=9191).reuse_port


def test_a_sasl_protocol_needs_a_login() -> None:
    with pytest.raises(ValidationError, match="SASL_SSL needs sasl_username and sasl_password"):
        KafkaSettings(security_protocol="SASL_SSL", sasl_username="lr")
    settings = KafkaSettings(
        security_protocol="SASL_SSL", sasl_username="lr", sasl_password=SecretStr("secret")
    )
    assert settings.sasl_mechanism == "PLAIN"


def test_a_stall_is_longer_than_the_time_between_two_commits() -> None:
    with pytest.raises(ValidationError, match="rewind_stalled_after_s must exceed"):
        WorkerSettings(commit_interval_s=20)
    assert WorkerSettings(commit_interval_s=20, rewind_stalled_after_s=60).commit_interval_s == 20


def test_a_cluster_node_is_a_host_and_a_port() -> None:
    assert RedisSettings(cluster_nodes=["redis-1:6379", "::1:7000"]).cluster_nodes[1] == "::1:7000"
    for wrong in ("redis-1", "redis-1:", ":6379", "redis-1:port"):
        with pytest.raises(ValidationError, match="a cluster node is"):
            RedisSettings(cluster_nodes=[wrong])


def test_the_cluster_replicates_every_topic_we_own_and_lists_every_node() -> None:
    settings = for_local_stack(as_cluster(Settings(_env_file=None)))

    assert settings.kafka.bootstrap_servers == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    assert settings.redis.cluster_nodes == [f"127.0.0.1:{port}" for port in range(16380, 16386)]
    assert [node.bus_port for node in settings.stack.redis_cluster_nodes] == list(
        range(26380, 26386)
    )
    assert for_local_stack(Settings(_env_file=None)).redis.cluster_nodes == []
    for topic in owned_topics(settings.kafka):
        assert topic.replication_factor == 3, topic.name
        assert topic.topic_configs["min.insync.replicas"] == "2", topic.name
    single = owned_topics(Settings(_env_file=None).kafka)
    assert {(t.replication_factor, t.topic_configs["min.insync.replicas"]) for t in single} == {
        (1, "1")
    }


def test_a_stack_refuses_more_replicas_than_it_runs_nodes(tmp_path: Path) -> None:
    single = Settings(
        _env_file=None,
        kafka=KafkaSettings(replication_factor=3),
        stack=StackSettings(data_dir=tmp_path),
    )
    with pytest.raises(ValueError, match="REPLICATION_FACTOR is 3 but the stack runs 1 Kafka"):
        LocalStack(single).kafka_nodes()
    assert len(LocalStack(as_cluster(single)).kafka_nodes()) == 3


def test_another_shell_is_told_how_to_reach_a_cluster_and_nothing_for_the_default() -> None:
    plain = for_local_stack(Settings(_env_file=None))
    cluster = for_local_stack(as_cluster(Settings(_env_file=None)))

    assert client_variables(plain, plain) == {}
    assert client_variables(cluster, plain) == {
        "LR_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096",
        "LR_REDIS__CLUSTER_NODES": json.dumps([f"127.0.0.1:{p}" for p in range(16380, 16386)]),
    }
