"""``lr replay``: rebuild the Redis statement view from the statements topic, from scratch.

Records are decoded exactly as the worker decodes them (same validation, same ids for
statements produced without one), so the rebuilt view is the one the live path builds.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from redis.asyncio import Redis
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from learning_domain import ingest
from learning_domain.errors import StatementInvalid
from lr.kafka_topics import topic_partitions
from lr.settings import Settings
from serving.statements import ViewEntry, forget_view, view_entry, write_view

# Statements per store script call: short atomic scripts keep Redis responsive.
_WRITE_CHUNK = 200


@dataclass
class ReplayReport:
    records: int = 0
    statements: int = 0
    rejected: int = 0
    deleted_keys: int = 0
    tenants: set[str] = field(default_factory=set)


async def replay(
    settings: Settings, tenant: str | None = None, quiet: bool = False
) -> ReplayReport:
    report = ReplayReport()
    redis = Redis.from_url(settings.redis.url)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        topic = settings.kafka.statements_topic
        partitions = [TopicPartition(topic, p) for p in await _partitions(settings, topic)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        start = {tp: await consumer.position(tp) for tp in partitions}
        end = await consumer.end_offsets(partitions)
        report.deleted_keys = await forget_view(redis, tenant or "*")
        with Progress(
            TextColumn("replaying {task.fields[topic]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            disable=quiet,
        ) as progress:
            task = progress.add_task(
                "", total=sum(end[tp] - start[tp] for tp in partitions), topic=topic
            )
            pending: defaultdict[str, list[ViewEntry]] = defaultdict(list)
            async for record in _in_time_order(consumer, partitions, end):
                report.records += 1
                _decode_into(record, settings, tenant, pending, report)
                progress.advance(task)
                if sum(map(len, pending.values())) >= _WRITE_CHUNK:
                    await _flush(redis, pending)
            await _flush(redis, pending)
    finally:
        await consumer.stop()
        await redis.aclose()
    return report


async def _in_time_order(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], end: dict[TopicPartition, int]
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every partition's records up to ``end``, merged by timestamp: the order of acceptance,
    so the sequences replay hands out order statements as the live path did."""
    buffered: dict[TopicPartition, deque[ConsumerRecord[bytes, bytes]]] = {
        tp: deque() for tp in partitions
    }

    async def refill(tp: TopicPartition) -> None:
        while not buffered[tp] and await consumer.position(tp) < end[tp]:
            fetched = await consumer.getmany(tp, timeout_ms=1000, max_records=1000)
            buffered[tp].extend(r for r in fetched.get(tp, []) if r.offset < end[tp])

    heads: list[tuple[int, int, int, TopicPartition]] = []

    def push_head(tp: TopicPartition) -> None:
        if buffered[tp]:
            head = buffered[tp][0]
            heapq.heappush(heads, (head.timestamp, tp.partition, head.offset, tp))

    for tp in partitions:
        await refill(tp)
        push_head(tp)
    while heads:
        *_, tp = heapq.heappop(heads)
        yield buffered[tp].popleft()
        await refill(tp)
        push_head(tp)


async def _flush(redis: Redis, pending: defaultdict[str, list[ViewEntry]]) -> None:
    for record_tenant, entries in pending.items():
        await write_view(redis, record_tenant, entries)
    pending.clear()


def _decode_into(
    record: ConsumerRecord[bytes, bytes],
    settings: Settings,
    only_tenant: str | None,
    pending: defaultdict[str, list[ViewEntry]],
    report: ReplayReport,
) -> None:
    headers = dict(record.headers or ())
    record_tenant = ingest.record_tenant(headers, settings.default_tenant)
    if only_tenant is not None and record_tenant != only_tenant:
        return
    try:
        statements = ingest.decode_record(
            record.value,
            tenant=record_tenant,
            from_api=ingest.written_by_api(headers),
            partition=record.partition,
            offset=record.offset,
            timestamp_ms=record.timestamp,
        )
    except StatementInvalid:
        report.rejected += 1  # in the dead-letter topic already, through the worker
        return
    report.tenants.add(record_tenant)
    for statement in statements:
        document = statement.to_document()
        pending[record_tenant].append(view_entry(document, orjson.dumps(document)))
        report.statements += 1


async def _partitions(settings: Settings, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    await admin.start()
    try:
        return await topic_partitions(admin, topic)
    finally:
        await admin.close()
