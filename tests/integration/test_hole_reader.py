"""The worker's hole reader on the real broker: it reads exactly the records asked for, again
and backwards, and tells where the group stands (stream.continuity.KafkaHoleReader)."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from faust.types import TP

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.platform.topics import ensure_topics
from learning_record.stream.continuity import KafkaHoleReader
from tests.integration.conftest import isolated_settings


async def test_holes_are_read_exactly_and_the_group_s_start_is_its_committed_offset(
    services: LocalStack,
) -> None:
    settings = isolated_settings(services.settings, "holes")
    kafka = settings.kafka
    await ensure_topics(kafka)
    tp = TP(kafka.statements_topic, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for n in range(10):
            await producer.send_and_wait(tp.topic, f"record {n}".encode(), partition=tp.partition)
    finally:
        await producer.stop()

    reader = KafkaHoleReader(kafka, settings.worker.app_id)
    try:
        assert await reader.start_of(tp) == 0  # never committed: the partition's first offset
        middle = await reader.read(tp, 3, 8)
        assert [(e.message.offset, e.value) for e in middle] == [
            (n, f"record {n}".encode()) for n in range(3, 8)
        ]
        assert all(e.message.tp == tp for e in middle)
        again = await reader.read(tp, 0, 2)  # backwards, on the same consumer
        assert [e.message.offset for e in again] == [0, 1]

        group = AIOKafkaConsumer(
            bootstrap_servers=kafka.bootstrap_servers,
            group_id=settings.worker.app_id,
            enable_auto_commit=False,
        )
        await group.start()
        try:
            partition = TopicPartition(tp.topic, tp.partition)
            group.assign([partition])
            await group.commit({partition: OffsetAndMetadata(6, "")})
        finally:
            await group.stop()
        assert await reader.start_of(tp) == 6
        assert [e.message.offset for e in await reader.read(tp, 6, 10)] == [6, 7, 8, 9]
    finally:
        await reader.stop()
