"""Which partition an entity's operations and table entries live in, computed by us.

Kafka's default partitioner (murmur2 of the key bytes) applied to the routing key
(``<tenant>|<learner IFI>`` or ``<tenant>|<activity id>``). A table key is the routing key,
``ROUTING_END``, then which value of the entity it is, so that every table entry of an entity
lands in the partition of the operations that change it, by construction, and never depends on
whether the producer has fetched a topic's metadata yet.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aiokafka.partitioner import murmur2
from faust.tables.table import Table

from learning_record.domain.indicators.table_keys import ROUTING_END
from learning_record.platform.topics import replica_configs
from learning_record.stream.app import app, settings


@lru_cache(maxsize=262_144)  # murmur2 is pure Python; the same entities come back
def partition_of(routing_key: bytes) -> int:
    return (int(murmur2(routing_key)) & 0x7FFFFFFF) % settings.kafka.partitions


def routing_key_of(table_key: bytes) -> bytes:
    return table_key.partition(ROUTING_END)[0]


class KeyPartitionedTable(Table[bytes, bytes]):
    """A table whose changelog partition is that of the key's routing part, whatever event is
    current (a batch mixes partitions)."""

    def partition_for_key(self, key: Any) -> int:
        return partition_of(routing_key_of(key))


def key_partitioned_table(name: str, **options: Any) -> KeyPartitionedTable:
    # bytes keys and values: "raw" serialisers, in the changelog as in recovery.
    table = KeyPartitionedTable(
        app,
        name=name,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.kafka.partitions,
        extra_topic_configs=replica_configs(settings.kafka),  # the changelog's
        **options,
    )
    app.tables.add(table)
    return table
