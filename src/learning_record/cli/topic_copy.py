"""Copies of a topic that keep every record where it was: same partition, same offset, same key,
timestamp and headers (``lr privacy reseal``, cli/reseal.py).

Offsets can be kept only because the topics we copy are neither compacted nor transactional:
each partition's offsets run from 0 without a gap, so writing the records of a partition in
offset order into an empty one gives each its offset again. ``SamePlaceWriter`` checks that
each record landed there, and fails on the first that did not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import UnknownTopicOrPartitionError, for_code
from aiokafka.structs import RecordMetadata

from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import KafkaSettings
from learning_record.platform.topics import MAX_RECORD_BYTES, topic_partitions

# A config's source in DescribeConfigs (v1 and later): set on the topic itself, not inherited.
_SET_ON_TOPIC = 1
_CREATE_TIME = 0  # a record's timestamp type: the one its producer gave
# Records in flight before their deliveries are checked: enough to fill the producer's batches.
_IN_FLIGHT = 1000
# How long the broker may take to forget a deleted topic.
_DELETION_DEADLINE_S = 120.0

# Each partition's log start offset and end offset.
Offsets = dict[int, tuple[int, int]]


class CopyRefused(Exception):
    """The copy cannot be made as asked, or did not land record for record: nothing of it may
    replace anything."""


@dataclass(frozen=True, slots=True)
class TopicShape:
    """What a copy of a topic takes from it: partitions, replicas, and the configs set on it."""

    partitions: int
    replicas: int
    configs: dict[str, str]


@asynccontextmanager
async def admin_client(kafka: KafkaSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(**client_options(kafka))
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def exists(admin: AIOKafkaAdminClient, topic: str) -> bool:
    """Whether the brokers list ``topic``. Asked of every topic: a broker that creates topics
    on first use (``auto.create.topics.enable``, Kafka's default) would create one asked by
    name."""
    return topic in await admin.list_topics()


async def topic_shape(admin: AIOKafkaAdminClient, topic: str) -> TopicShape | None:
    """The shape of ``topic``, None when it does not exist."""
    if not await exists(admin, topic):
        return None
    (description,) = await admin.describe_topics([topic])
    partitions = description.get("partitions") or []
    if not partitions:
        return None
    (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    ((error_code, error_message, _, _, entries),) = response.resources
    if error_code:
        raise for_code(error_code)(f"describing the configs of {topic}: {error_message}")
    return TopicShape(
        len(partitions), len(partitions[0]["replicas"]), configs_set_on_topic(entries)
    )


def configs_set_on_topic(entries: Sequence[Sequence[Any]]) -> dict[str, str]:
    """The configs of a DescribeConfigs answer (name, value, read-only, source, ...) that were
    set on the topic: the rest comes from the brokers, and a new topic inherits it anyway."""
    return {entry[0]: entry[1] for entry in entries if entry[3] == _SET_ON_TOPIC}


async def create_topic(admin: AIOKafkaAdminClient, topic: str, shape: TopicShape) -> None:
    new = NewTopic(topic, shape.partitions, shape.replicas, topic_configs=shape.configs)
    response = await admin.create_topics([new])
    for name, code, *_ in response.topic_errors:  # the client returns errors, not raises them
        if code:
            raise for_code(code)(f"creating topic {name}")


async def delete_topic(admin: AIOKafkaAdminClient, topic: str) -> None:
    """Delete ``topic`` (one already gone is fine), and return once the broker no longer lists
    it: a topic of the same name created before that could be refused, or mixed with it."""
    response = await admin.delete_topics([topic])
    for name, code in response.topic_error_codes:
        if code not in (0, UnknownTopicOrPartitionError.errno):
            raise for_code(code)(f"deleting topic {name}")
    deadline = time.monotonic() + _DELETION_DEADLINE_S
    while await exists(admin, topic):
        if time.monotonic() > deadline:
            raise CopyRefused(f"{topic} is still listed {_DELETION_DEADLINE_S:g} s after deletion")
        await asyncio.sleep(0.2)


async def log_offsets(kafka: KafkaSettings, topic: str) -> Offsets:
    """Each partition's log start and end offsets ({} when the topic does not exist)."""
    async with admin_client(kafka) as admin:
        if not await exists(admin, topic):
            return {}
        partitions = [TopicPartition(topic, p) for p in await topic_partitions(admin, topic)]
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(**client_options(kafka), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {tp.partition: (starts[tp], ends[tp]) for tp in partitions}


def ends_of(offsets: Offsets) -> dict[int, int]:
    return {partition: end for partition, (_, end) in offsets.items()}


class SamePlaceWriter:
    """Writes records to ``topic`` each at the partition and offset it was read from, with its
    key, timestamp and headers. The records of a partition must come in offset order, and the
    partition must be empty when the first one comes."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._topic = topic
        # Idempotent: a retried batch is neither doubled nor reordered. One request in flight
        # per broker (aiokafka's sender) keeps each partition's records in the order sent.
        self._producer = AIOKafkaProducer(
            **client_options(kafka),
            enable_idempotence=True,
            acks="all",
            max_request_size=MAX_RECORD_BYTES,
            max_batch_size=1024 * 1024,
            linger_ms=5,
        )
        self._pending: list[tuple[ConsumerRecord[bytes, bytes], asyncio.Future[RecordMetadata]]]
        self._pending = []

    async def __aenter__(self) -> Self:
        await self._producer.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: TracebackType | None
    ) -> None:
        try:
            if error is None:
                await self.flush()
        finally:
            await self._producer.stop()

    async def write(self, record: ConsumerRecord[bytes, bytes]) -> None:
        delivery = await self._producer.send(
            self._topic,
            value=record.value,
            key=record.key,
            partition=record.partition,
            timestamp_ms=record.timestamp,
            headers=list(record.headers or ()),
        )
        self._pending.append((record, delivery))
        if len(self._pending) >= _IN_FLIGHT:
            await self.flush()

    async def flush(self) -> None:
        """Wait for every record written so far; ``CopyRefused`` for one that did not land
        at its offset, or whose timestamp the broker replaced (``LogAppendTime``)."""
        pending, self._pending = self._pending, []
        for record, delivery in pending:
            landed = await delivery
            if landed.offset != record.offset or landed.timestamp_type != _CREATE_TIME:
                raise CopyRefused(
                    f"the record at offset {record.offset} of partition {record.partition} "
                    f"landed at offset {landed.offset} of {self._topic} (timestamp type "
                    f"{landed.timestamp_type}): offsets and timestamps cannot be kept"
                )


# Each consumer group's committed offset of each partition of one topic.
GroupOffsets = dict[str, dict[int, int]]


async def committed_offsets(kafka: KafkaSettings, topic: str) -> GroupOffsets:
    """What every consumer group committed on ``topic``: deleting the topic deletes it."""
    async with admin_client(kafka) as admin:
        if not await exists(admin, topic):
            return {}
        partitions = [TopicPartition(topic, p) for p in await topic_partitions(admin, topic)]
        found: GroupOffsets = {}
        for group, *_ in await admin.list_consumer_groups():
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            kept = {tp.partition: at.offset for tp, at in committed.items() if at.offset >= 0}
            if kept:
                found[group] = kept
    return found


async def commit_offsets(kafka: KafkaSettings, topic: str, groups: GroupOffsets) -> None:
    """Commit ``groups``' offsets on ``topic`` again, each group stopped (no member): the
    broker takes a commit from outside a stopped group."""
    for group, offsets in groups.items():
        consumer = AIOKafkaConsumer(
            **client_options(kafka), group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            partitions = {TopicPartition(topic, p): offset for p, offset in offsets.items()}
            consumer.assign(list(partitions))
            await consumer.commit(partitions)
        finally:
            await consumer.stop()
