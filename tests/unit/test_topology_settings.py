"""Settings that choose the topology refuse what could never work, when they are read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from learning_record.cli.stack.local_stack import as_cluster, for_local_stack
from learning_record.platform.settings import ApiSettings, KafkaSettings, Settings
from learning_record.platform.topics import owned_topics


def test_more_in_sync_replicas_than_replicas_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"min_insync_replicas \(3\) exceeds"):
        KafkaSettings(replication_factor=2, min_insync_replicas=3)


def test_a_shared_port_needs_metrics_apart() -> None:
    with pytest.raises(ValidationError, match="reuse_port needs a metrics_port"):
        ApiSettings(reuse_port=True)
    assert ApiSettings(reuse_port=True, metrics_port=9191).reuse_port


def test_the_cluster_replicates_every_topic_we_own_and_lists_every_node() -> None:
    settings = for_local_stack(as_cluster(Settings()))

    assert settings.kafka.bootstrap_servers == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    for topic in owned_topics(settings.kafka):
        assert topic.replication_factor == 3, topic.name
        assert topic.topic_configs["min.insync.replicas"] == "2", topic.name
    single = owned_topics(Settings().kafka)
    assert {(t.replication_factor, t.topic_configs["min.insync.replicas"]) for t in single} == {
        (1, "1")
    }
