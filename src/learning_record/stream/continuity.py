"""Never skip a record, whatever Faust's consumer does around a rebalance.

Faust 0.15 can drop records it fetched around a rebalance or a table recovery (fetched while
its flow is suspended, or cleared from the agents' buffers) and, after its seek to the committed
offset, take the next record it delivers for the next one to read: the records in between never
reach an agent, and the offset it commits passes them (faust-streaming issues 596 and 606). A
SIGKILL test caught it: a restarted worker never saw four records, and committed past them.

First, the cause: a stream partition that Faust resumes while its flow control is suspended
starts fetching only once the flow is back (``Consumer.resume_partitions`` and ``resume_flow``,
patched below), so nothing is fetched into the queues that resuming the flow clears.

Then, a safety net: every batch is checked against the next offset expected per partition
(the group's committed offset when the partition arrives, then one past the last record seen):
records seen before are left out, and a hole is read again straight from Kafka and put in its
place, before anything after it is processed, so before anything after it can be acknowledged;
then the consumer is told the hole is done, so that it commits past it. None of our topics is
compacted or transactional: a hole is always a dropped record, never a gap. A hole at the very
end of a partition, with nothing after it, is seen only when the next record comes.

Last, commits keep pace after a rebalance: Faust adds the offsets of a gap to the acked ones
without indexing them, so an offset in a gap that is then delivered and acked is held twice,
and Faust's runs of consecutive offsets stop at every repeat: its commit moved one offset per
commit interval, minutes behind after a takeover. Runs here let an offset repeat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from faust.transport import consumer as faust_consumer
from faust.transport.consumer import Consumer
from faust.types import TP, AppT, EventT

from learning_record.platform import logs, metrics
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import KafkaSettings

log = logs.get_logger(__name__)

_resume_partitions = Consumer.resume_partitions
_resume_flow = Consumer.resume_flow
_stop_flow = Consumer.stop_flow
_deferred: dict[int, set[TP]] = {}  # by consumer: stream partitions to resume with the flow


def flow_back(consumer: Consumer) -> bool:
    """The consumer delivers records again: no rebalance nor recovery holds them back."""
    return consumer.flow_active and consumer.app.flow_control.is_active()


def _resume_partitions_with_the_flow(self: Consumer, tps: Iterable[TP]) -> None:
    changelogs = self.app.tables.changelog_topics
    tps = set(tps)
    streams = {tp for tp in tps if tp.topic not in changelogs}
    if streams and not flow_back(self):
        # Faust's recovery resumes these, seeks, then resumes the flow and clears the queues:
        # what is fetched in between would be dropped, yet counted as read.
        _deferred.setdefault(id(self), set()).update(streams)
        tps -= streams
    if tps:
        _resume_partitions(self, tps)


def _resume_flow_then_partitions(self: Consumer) -> None:
    _resume_flow(self)
    if flow_back(self) and (waiting := _deferred.pop(id(self), None)):
        _resume_partitions(self, waiting)


def _stop_flow_and_forget(self: Consumer) -> None:
    _deferred.pop(id(self), None)  # a rebalance: the new assignment resumes its own
    _stop_flow(self)


Consumer.resume_partitions = _resume_partitions_with_the_flow  # type: ignore[method-assign]
Consumer.resume_flow = _resume_flow_then_partitions  # type: ignore[method-assign]
Consumer.stop_flow = _stop_flow_and_forget  # type: ignore[method-assign]


def runs_of_offsets(offsets: Iterable[int]) -> Iterator[list[int]]:
    """Runs of sorted offsets with no offset missing, an offset held twice included: where
    Faust's consumer commits to (one past its first run)."""
    run: list[int] = []
    for offset in offsets:
        if run and not run[-1] <= offset <= run[-1] + 1:
            yield run
            run = []
        run.append(offset)
    if run:
        yield run


faust_consumer.consecutive_numbers = runs_of_offsets  # type: ignore[attr-defined,assignment]

_REREAD_WAIT_MS = 1000
# A fetch that outlives its own wait this long is abandoned and tried again.
_REREAD_FETCH_S = 5.0
# Records that were just delivered are on the broker: failing to read them again this long is a
# fault to report, not to wait out.
_REREAD_DEADLINE_S = 120.0
# A broker busy with a rebalance may not answer where the group stands: never wait on it long.
_START_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class RereadMessage:
    """What agents read of a Faust message, for a record read again from Kafka."""

    topic: str
    partition: int
    offset: int
    timestamp: float  # seconds, as Faust gives it
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]

    @property
    def tp(self) -> TP:
        return TP(self.topic, self.partition)


@dataclass(frozen=True, slots=True)
class RereadEvent:
    """What agents read of a Faust event, for a record read again from Kafka."""

    message: RereadMessage

    @property
    def key(self) -> bytes | None:
        return self.message.key

    @property
    def value(self) -> bytes | None:
        return self.message.value

    @property
    def headers(self) -> Sequence[tuple[str, bytes]]:
        return self.message.headers


class HoleReader(Protocol):
    """Reads a partition straight from Kafka."""

    async def start_of(self, tp: TP) -> int | None:
        """The group's committed offset of ``tp``, else (never committed) its first offset;
        None when the broker cannot tell in time."""

    async def read(self, tp: TP, start: int, end: int) -> list[EventT[Any]]: ...


# Tells the consumer that records read again are done, so that it may commit past them.
Settle = Callable[[TP, int, int], Awaitable[None]]


class Continuity:
    """The next offset expected per partition; holes are read again by ``reader``, and
    ``settle`` tells the consumer they are done."""

    def __init__(
        self, committed: Callable[[TP], int | None], reader: HoleReader, settle: Settle
    ) -> None:
        self._committed = committed
        self._reader = reader
        self._settle = settle
        self._expected: dict[TP, int] = {}

    def forget(self, partitions: set[TP]) -> None:
        """Partitions revoked: their next owner (maybe us) starts from the committed offset."""
        for tp in partitions:
            self._expected.pop(tp, None)

    async def complete(self, events: Sequence[EventT[Any]]) -> list[EventT[Any]]:
        """``events`` with every partition's records one after another from where it stands:
        records seen before left out, holes filled with the records read again."""
        completed: list[EventT[Any]] = []
        for event in events:
            tp, offset = event.message.tp, event.message.offset
            expected = self._expected.get(tp)
            if expected is None:
                # Where Faust sought it when assigned, else where the broker says the group is.
                expected = self._committed(tp)
                if expected is None:
                    expected = await self._reader.start_of(tp)
                if expected is None:  # cannot tell: start from what comes
                    expected = offset
            if offset < expected:
                continue  # delivered again after a rebalance: already processed
            if offset > expected:
                log.warning(
                    "records_missing_read_again",
                    topic=tp.topic,
                    partition=tp.partition,
                    first=expected,
                    until=offset,
                )
                metrics.WORKER_REREADS.labels(metrics.WORKER, tp.topic).inc(offset - expected)
                completed += await self._reader.read(tp, expected, offset)
                # Processed with this batch, before anything after them is acknowledged.
                await self._settle(tp, expected, offset)
            self._expected[tp] = offset + 1
            completed.append(event)
        return completed


def faust_committed(app: AppT) -> Callable[[TP], int | None]:
    """The offset Faust sought a partition to when it was assigned, if it knows it."""

    def committed(tp: TP) -> int | None:
        offset = cast(Consumer, app.consumer)._committed_offset.get(tp)
        return int(offset) if offset else None  # Faust keeps 0 as None too

    return committed


def faust_settle(app: AppT) -> Settle:
    """Faust's consumer commits past offsets it holds as a gap: the records read again."""

    async def settle(tp: TP, start: int, end: int) -> None:
        await cast(Consumer, app.consumer)._add_gap(tp, start, end - 1)

    return settle


class KafkaHoleReader:
    """Two consumers of the worker's topics: one belongs to the worker's group only to read its
    committed offsets (it never joins nor commits); one, in no group, is assigned the partition
    with a hole and sought to its start. A reader in no group has no coordinator to wait on:
    a hole is read while the group rebalances, which is when holes come."""

    def __init__(self, kafka: KafkaSettings, group_id: str) -> None:
        self._kafka = kafka
        self._group_id = group_id
        self._offsets: AIOKafkaConsumer | None = None
        self._records: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()  # one assignment at a time: agents share the consumers

    async def start_of(self, tp: TP) -> int | None:
        partition = TopicPartition(tp.topic, tp.partition)
        async with self._lock:
            offsets = await self._offsets_consumer()
            try:
                async with asyncio.timeout(_START_WAIT_S):
                    committed = await offsets.committed(partition)
                    if committed is not None:
                        return int(committed)
                    return int((await offsets.beginning_offsets([partition]))[partition])
            except TimeoutError:
                log.warning("committed_offset_unknown", topic=tp.topic, partition=tp.partition)
                return None

    async def read(self, tp: TP, start: int, end: int) -> list[EventT[Any]]:
        partition = TopicPartition(tp.topic, tp.partition)
        async with self._lock:
            consumer = await self._records_consumer()
            consumer.assign([partition])
            consumer.seek(partition, start)
            events: list[EventT[Any]] = []
            wanted = start  # the next offset to read; one the log no longer holds is passed
            deadline = time.monotonic() + _REREAD_DEADLINE_S
            while wanted < end:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cannot read {tp} again from {wanted} to {end}")
                try:
                    async with asyncio.timeout(_REREAD_FETCH_S):
                        fetched = await consumer.getmany(partition, timeout_ms=_REREAD_WAIT_MS)
                except TimeoutError:
                    fetched = {}
                before = wanted
                for record in fetched.get(partition, []):
                    if wanted <= record.offset < end:
                        events.append(cast(EventT[Any], RereadEvent(_message(record))))
                        wanted = record.offset + 1
                if wanted == before:  # nothing new: fetch from the next one again
                    consumer.seek(partition, wanted)
            return events

    async def stop(self) -> None:
        for consumer in (self._offsets, self._records):
            if consumer is not None:
                await consumer.stop()
        self._offsets = self._records = None

    async def _offsets_consumer(self) -> AIOKafkaConsumer:
        if self._offsets is None:
            self._offsets = await self._started(group_id=self._group_id)
        return self._offsets

    async def _records_consumer(self) -> AIOKafkaConsumer:
        if self._records is None:
            self._records = await self._started(group_id=None)
        return self._records

    async def _started(self, group_id: str | None) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            **client_options(self._kafka),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        return consumer


def _message(record: ConsumerRecord[bytes, bytes]) -> RereadMessage:
    return RereadMessage(
        record.topic,
        record.partition,
        record.offset,
        record.timestamp / 1000,
        record.key,
        record.value,
        list(record.headers or ()),
    )


async def continuous(
    batches: AsyncIterator[Sequence[EventT[Any]]], continuity: Continuity
) -> AsyncIterator[Sequence[EventT[Any]]]:
    """``batches`` with every partition's records in order and none skipped."""
    async for events in batches:
        completed = await continuity.complete(events)
        if completed:
            yield completed
