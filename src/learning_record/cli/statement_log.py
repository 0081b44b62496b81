"""Our topics read back from their start, as ``lr replay`` and ``lr verify`` need them: every
partition up to the end offsets seen when opened. The statements topic is merged by record
timestamp (the order of acceptance), each record decoded exactly as the worker decodes it."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from learning_record.domain import ingest
from learning_record.domain.errors import DependencyUnavailable
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import Settings
from learning_record.platform.topics import ensure_topics, topic_partitions
from learning_record.store.learner_keys import LearnerKeys
from learning_record.store.sealed_records import InputRecord, decoded_record


@dataclass(frozen=True, slots=True)
class LoggedRecord:
    tenant: str
    # Each statement with its place in the record (sealed_records.decoded_record); None: the
    # worker dead-lettered this record.
    statements: list[tuple[int, dict[str, Any]]] | None
    partition: int = -1
    offset: int = -1
    defines: bool = True  # ingest.defines

    @property
    def documents(self) -> list[dict[str, Any]] | None:
        return None if self.statements is None else [doc for _, doc in self.statements]


class TopicFromStart:
    """A topic read from its start up to the end offsets seen when it was opened."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self._settings = settings
        self._topic = topic
        self._consumer = AIOKafkaConsumer(
            **client_options(settings.kafka),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )
        self._partitions: list[TopicPartition] = []
        self._end: dict[TopicPartition, int] = {}
        self.total_records = 0

    async def __aenter__(self) -> Self:
        admin = AIOKafkaAdminClient(**client_options(self._settings.kafka))
        await admin.start()
        try:
            partitions = await topic_partitions(admin, self._topic)
        finally:
            await admin.close()
        self._partitions = [TopicPartition(self._topic, p) for p in partitions]
        await self._consumer.start()
        if not self._partitions:
            return self  # a topic that does not exist holds nothing
        try:
            self._consumer.assign(self._partitions)
            await self._consumer.seek_to_beginning(*self._partitions)
            start = {tp: await self._consumer.position(tp) for tp in self._partitions}
            self._end = await self._consumer.end_offsets(self._partitions)
        except BaseException:
            await self._consumer.stop()
            raise
        self.total_records = sum(self._end[tp] - start[tp] for tp in self._partitions)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def in_partition_order(self) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        """Each partition's records up to its end, one partition after the other: the order
        of each key's records (a key lives in one partition)."""
        for tp in self._partitions:
            while await self._consumer.position(tp) < self._end[tp]:
                fetched = await self._consumer.getmany(tp, timeout_ms=1000, max_records=1000)
                for record in fetched.get(tp, []):
                    if record.offset < self._end[tp]:
                        yield record


class StatementLog(TopicFromStart):
    """The statements topic, opened with the learners' keys: what erasure closed stays closed."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settings.kafka.statements_topic)
        self._signing_key = settings.ingest.signing_key.get_secret_value().encode()
        self._keys = LearnerKeys(settings)

    async def __aenter__(self) -> Self:
        # A stack upgraded from before sealing may not have the learner-keys topic yet.
        await ensure_topics(self._settings.kafka)
        await self._keys.start()
        try:
            return await super().__aenter__()
        except BaseException:
            await self._keys.stop()
            raise

    async def __aexit__(self, *exc: object) -> None:
        try:
            await super().__aexit__(*exc)
        finally:
            await self._keys.stop()

    async def records(self) -> AsyncIterator[LoggedRecord]:
        async for record in self._in_time_order():
            yield await self._decoded(record)

    async def _decoded(self, record: ConsumerRecord[bytes, bytes]) -> LoggedRecord:
        headers = dict(record.headers or ())
        value = record.value or b""
        try:
            tenant = ingest.record_tenant(headers, self._settings.default_tenant)
            trusted = ingest.signed_by_api(self._signing_key, headers, tenant, value)
            place = InputRecord(
                headers, value, tenant, trusted, record.partition, record.offset, record.timestamp
            )
            max_direct_bytes = self._settings.ingest.max_direct_record_bytes
            statements = await decoded_record(self._keys, place, max_direct_bytes)
        except DependencyUnavailable:
            raise  # the keys are out of reach: stop, rather than skip statements
        except Exception:  # a DomainError, or anything the worker parked likewise
            return LoggedRecord(ingest.claimed_tenant(headers, self._settings.default_tenant), None)
        return LoggedRecord(
            tenant, statements, record.partition, record.offset, ingest.defines(headers)
        )

    async def _in_time_order(self) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        """Every partition's records up to the end, merged by timestamp: the order of
        acceptance, so replay hands out sequences in the order the live path did."""
        consumer, end = self._consumer, self._end
        buffered: dict[TopicPartition, deque[ConsumerRecord[bytes, bytes]]] = {
            tp: deque() for tp in self._partitions
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

        for tp in self._partitions:
            await refill(tp)
            push_head(tp)
        while heads:
            *_, tp = heapq.heappop(heads)
            yield buffered[tp].popleft()
            await refill(tp)
            push_head(tp)
