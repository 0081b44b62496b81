"""Write a batch's table values in a few Kafka record batches instead of one send per key.

Faust changelogs a table one key at a time (a future, a buffer entry and a send per value),
which at several values per statement is most of the worker's time. A batch of indicator values
is written here instead: one record batch per changelog partition, appended in the order given
(a record batch is stored whole or not at all, and the order is kept), then the values go into
the table's store. The records are the ones Faust writes (raw key, raw value), so Faust restores
the table from them after a crash or a rebalance, as always.

Delivery is awaited before the batch is done: the agent acknowledges its input only after its
state is durable, whoever commits the offsets and whenever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder
from faust.types import TP
from mode import Service

from learning_record.platform.kafka_access import client_options
from learning_record.platform.topics import MAX_RECORD_BYTES
from learning_record.stream.app import app, settings
from learning_record.stream.partitioning import KeyPartitionedTable

_BATCH_BYTES = 900 * 1024

_producer: AIOKafkaProducer | None = None
_starting = asyncio.Lock()


async def _started_producer() -> AIOKafkaProducer:
    global _producer
    async with _starting:
        if _producer is None:
            producer = AIOKafkaProducer(
                **client_options(settings.kafka),
                acks="all",
                enable_idempotence=True,
                max_request_size=MAX_RECORD_BYTES,
                # One record batch per changelog partition per agent batch, within the
                # broker's default limit of a record batch (1 MiB).
                max_batch_size=_BATCH_BYTES,
                linger_ms=0,
            )
            await producer.start()
            _producer = producer
        return _producer


@app.service
class ChangelogProducer(Service):
    """Stops the producer with the worker."""

    async def on_stop(self) -> None:
        global _producer
        if _producer is not None:
            await _producer.stop()
            _producer = None


async def write(table: KeyPartitionedTable, entries: Sequence[tuple[bytes, bytes]]) -> None:
    """Write ``(key, value)`` entries to ``table`` and its changelog, in order per partition."""
    if not entries:
        return
    producer = await _started_producer()
    topic = table.changelog_topic_name
    by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
    for key, value in entries:
        by_partition.setdefault(table.partition_for_key(key), []).append((key, value))
    deliveries: list[tuple[int, int, asyncio.Future[Any]]] = []

    async def send(batch: BatchBuilder, partition: int) -> None:
        sent = await producer.send_batch(batch, topic, partition=partition)
        deliveries.append((partition, batch.record_count(), sent))

    for partition, held in by_partition.items():
        batch = producer.create_batch()
        for key, value in held:
            if batch.append(key=key, value=value, timestamp=None) is None:  # full: send it
                await send(batch, partition)
                batch = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)
        await send(batch, partition)
    for key, value in entries:
        table.data[key] = value
    for partition, count, delivery in deliveries:
        metadata = await delivery
        # What Faust records after its own sends: the offsets a persistent store already holds.
        table.data.set_persisted_offset(TP(topic, partition), metadata.offset + count - 1)
