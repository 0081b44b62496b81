"""Produce to and read from the real broker, as a direct producer or an operator would."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.structs import RecordMetadata

from learning_record.domain import ingest
from learning_record.platform.settings import Settings


async def produce(
    settings: Settings,
    values: list[bytes],
    tenant: str,
    *,
    topic: str | None = None,
    headers: Mapping[str, bytes] | None = None,
) -> None:
    """Each value as a record of the statements topic (or ``topic``), with the tenant header
    and ``headers``."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(
                topic or settings.kafka.statements_topic,
                value=value,
                headers=[(ingest.TENANT_HEADER, tenant.encode()), *(headers or {}).items()],
            )
    finally:
        await producer.stop()


async def produce_raw(
    settings: Settings, records: list[tuple[bytes, list[tuple[str, bytes]]]]
) -> list[RecordMetadata]:
    """Records as a foreign producer may write them, any value and any headers; where each
    landed."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        max_request_size=4 * 1024 * 1024,
    )
    await producer.start()
    try:
        return [
            await producer.send_and_wait(settings.kafka.statements_topic, value, headers=headers)
            for value, headers in records
        ]
    finally:
        await producer.stop()


async def produce_many(settings: Settings, statements: list[dict[str, Any]], tenant: str) -> None:
    """A bulk replay: every statement as its own record, batched by the producer."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=20,
    )
    await producer.start()
    try:
        headers = [(ingest.TENANT_HEADER, tenant.encode())]
        for statement in statements:
            await producer.send(
                settings.kafka.statements_topic, orjson.dumps(statement), headers=headers
            )
        await producer.flush()
    finally:
        await producer.stop()


async def read_matching(
    settings: Settings,
    topic: str,
    wanted: Callable[[ConsumerRecord[bytes, bytes]], bool],
    expected: int,
    timeout_s: float = 60,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``topic`` from its start until ``expected`` wanted records are in, or time out."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(records) < expected and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(r for r in batch if wanted(r))
    finally:
        await consumer.stop()
    return records
