"""Consumer lag read from the broker, not from the worker's own view, so that a dead or stuck
worker shows up as lag that grows."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError

from lr.kafka_topics import topic_partitions


@dataclass(frozen=True, slots=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int  # next offset the group will read; 0 when it never committed
    log_end: int
    oldest_unprocessed_ms: int | None  # timestamp of the record at ``committed``, if behind

    @property
    def messages(self) -> int:
        return max(self.log_end - self.committed, 0)

    def seconds(self, now_ms: int) -> float:
        if self.oldest_unprocessed_ms is None:
            return 0.0
        return max(now_ms - self.oldest_unprocessed_ms, 0) / 1000


class LagReader:
    """Reads committed and log-end offsets of one group on one topic, with a client pair that
    lives as long as the reader."""

    def __init__(self, bootstrap_servers: str, group_id: str, topic: str) -> None:
        self._group_id = group_id
        self._topic = topic
        self._partitions: list[int] = []
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a committed offset already deleted: read from start
        )

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def read(self) -> list[PartitionLag]:
        if not self._partitions:
            self._partitions = await topic_partitions(self._admin, self._topic)
        tps = [TopicPartition(self._topic, p) for p in self._partitions]
        if not tps:
            return []
        try:
            committed = await self._admin.list_consumer_group_offsets(
                self._group_id, partitions=tps
            )
        except GroupCoordinatorNotAvailableError:
            committed = {}  # the group has no coordinator yet: nothing was ever committed
        log_end = await self._consumer.end_offsets(tps)
        lags = []
        for tp in tps:
            meta = committed.get(tp)
            position = meta.offset if meta is not None and meta.offset >= 0 else 0
            behind = position < log_end[tp]
            oldest = await self._timestamp_at(tp, position) if behind else None
            lags.append(PartitionLag(tp.topic, tp.partition, position, log_end[tp], oldest))
        return lags

    async def _timestamp_at(self, tp: TopicPartition, offset: int) -> int | None:
        self._consumer.assign([tp])
        self._consumer.seek(tp, offset)
        records = await self._consumer.getmany(tp, timeout_ms=1000, max_records=1)
        batch = records.get(tp)
        return int(batch[0].timestamp) if batch else None


def now_ms() -> int:
    return time.time_ns() // 1_000_000
