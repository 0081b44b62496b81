"""Which partition a learner's events and table entries live in, computed by us.

Kafka's default partitioner (murmur2 of the key bytes), so that the partition of a learner event
and the changelog partition of every table entry keyed by it are the same by construction, and
never depend on whether the producer has fetched a topic's metadata yet.
"""

from __future__ import annotations

from typing import Any

from aiokafka.partitioner import murmur2
from faust.tables.table import Table

from streams.app import app, settings


def partition_of(key: bytes) -> int:
    return (int(murmur2(key)) & 0x7FFFFFFF) % settings.kafka.partitions


class KeyPartitionedTable(Table[bytes, Any]):
    """A table whose changelog partition is ``partition_of(key)``, whatever event is current."""

    def partition_for_key(self, key: Any) -> int:
        return partition_of(key)


def key_partitioned_table(name: str, **options: Any) -> KeyPartitionedTable:
    table = KeyPartitionedTable(
        app, name=name, key_type=bytes, partitions=settings.kafka.partitions, **options
    )
    app.tables.add(table)
    return table
