"""The compacted keys topic, read from its start: the durable truth about API keys."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import ValidationError

from learning_record.domain.access import ApiKeyRecord, supersedes
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import KafkaSettings

log = logging.getLogger(__name__)

KeyRecordHandler = Callable[[ApiKeyRecord], Awaitable[None]]


def key_topic_consumer(kafka: KafkaSettings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        kafka.keys_topic,
        **client_options(kafka),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


async def apply_records(
    records: list[ConsumerRecord[bytes, bytes]], handle: KeyRecordHandler
) -> None:
    """Hand every readable record to ``handle``. A record that is not a key record (written by
    hand, or by a newer release) is skipped with an error: one bad record must not keep every
    API process from starting, nor hide the keys after it."""
    for message in records:
        if message.value is None:
            continue
        try:
            record = ApiKeyRecord.model_validate_json(message.value)
        except ValidationError as error:
            log.error(
                "key_record_unreadable partition=%s offset=%s errors=%d first=%s",
                message.partition,
                message.offset,
                error.error_count(),
                error.errors(include_url=False, include_input=False)[0]["msg"],
            )
            continue
        await handle(record)


async def consume_to_end(consumer: AIOKafkaConsumer, handle: KeyRecordHandler) -> None:
    """Apply every record up to the end offsets seen when called (the consumer is started)."""
    partitions = list(consumer.assignment())
    end = await consumer.end_offsets(partitions)
    while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            await apply_records(records, handle)


async def read_all_keys(kafka: KafkaSettings) -> dict[str, ApiKeyRecord]:
    """The latest record of every key id."""
    latest: dict[str, ApiKeyRecord] = {}

    async def keep(record: ApiKeyRecord) -> None:
        if supersedes(record, latest.get(record.key_id)):
            latest[record.key_id] = record

    consumer = key_topic_consumer(kafka)
    await consumer.start()
    try:
        await consume_to_end(consumer, keep)
    finally:
        await consumer.stop()
    return latest
