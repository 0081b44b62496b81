"""The documents topic as an erasure reads it: which State and Agent Profile documents are
about a learner (their record keys name the Agent's IFI), and their deletion, on the topic
and in the view (docs/privacy.md). Read from its start: an erasure, being rare, can afford a
pass over the topic."""

from __future__ import annotations

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from learning_record.domain.documents import DocumentAddress
from learning_record.domain.errors import DependencyUnavailable
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import KafkaSettings
from learning_record.platform.topics import topic_partitions
from learning_record.store import documents as view
from learning_record.store.connection import RedisClient
from learning_record.store.learner_keys import SEGMENT_ROLL

# A document's record: where it lives, and its key.
DocumentRecord = tuple[int, bytes]


async def documents_about(kafka: KafkaSettings, tenant: str, ifi: str) -> list[DocumentRecord]:
    """The records of the documents about the learner that still exist on the topic."""
    try:
        return await _read_about(kafka, tenant, ifi)
    except KafkaError as error:
        raise DependencyUnavailable("kafka", type(error).__name__) from error


async def _read_about(kafka: KafkaSettings, tenant: str, ifi: str) -> list[DocumentRecord]:
    consumer = AIOKafkaConsumer(**client_options(kafka), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(kafka.documents_topic, partition)
            for partition in await _partitions(kafka)
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        alive: dict[bytes, int] = {}
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for record in records:
                    if record.key is None or record.offset >= end[tp]:
                        continue
                    if record.value is None:
                        alive.pop(record.key, None)
                    elif _about(record.key, tenant, ifi):
                        alive[record.key] = tp.partition
        return [(partition, key) for key, partition in alive.items()]
    finally:
        await consumer.stop()


async def forget_in_view(redis: RedisClient, records: list[DocumentRecord]) -> None:
    """Delete the documents of ``records`` from the view (once tombstoned on the topic)."""
    await view.restore(redis, [(*DocumentAddress.from_record_key(key), None) for _, key in records])


def _about(key: bytes, tenant: str, ifi: str) -> bool:
    if key == SEGMENT_ROLL:
        return False
    try:
        named_tenant, address = DocumentAddress.from_record_key(key)
    except (orjson.JSONDecodeError, ValueError, TypeError):
        return False
    return named_tenant == tenant and address.context.agent_ifi == ifi


async def _partitions(kafka: KafkaSettings) -> list[int]:
    admin = AIOKafkaAdminClient(**client_options(kafka))
    await admin.start()
    try:
        return await topic_partitions(admin, kafka.documents_topic)
    finally:
        await admin.close()
