"""Which partition an entity's events and table entries live in, computed by us.

Kafka's default partitioner (murmur2 of the key bytes) applied to the routing key (the event
key, ``<tenant>|<learner IFI>`` or ``<tenant>|<activity id>``). A table key is the routing key,
``ROUTING_END``, then what it holds, so that every table entry of an entity lands in the
partition of the events that change it, by construction, and never depends on whether the
producer has fetched a topic's metadata yet.
"""

from __future__ import annotations

from typing import Any

from aiokafka.partitioner import murmur2
from faust.tables.table import Table

from streams.app import app, settings

ROUTING_END = b"\x1f"


def partition_of(routing_key: bytes) -> int:
    return (int(murmur2(routing_key)) & 0x7FFFFFFF) % settings.kafka.partitions


def routing_key_of(table_key: bytes) -> bytes:
    return table_key.partition(ROUTING_END)[0]


class KeyPartitionedTable(Table[bytes, Any]):
    """A table whose changelog partition is that of the key's routing part, whatever event is
    current (a batch mixes partitions)."""

    def partition_for_key(self, key: Any) -> int:
        return partition_of(routing_key_of(key))


def key_partitioned_table(name: str, **options: Any) -> KeyPartitionedTable:
    table = KeyPartitionedTable(
        app, name=name, key_type=bytes, partitions=settings.kafka.partitions, **options
    )
    app.tables.add(table)
    return table
