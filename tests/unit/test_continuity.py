"""Agents get every partition's records in order, none skipped (stream.continuity): records the
consumer dropped are read again and put in their place, records seen before are left out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from faust.transport.consumer import Consumer
from faust.types import TP, EventT
from intervaltree import IntervalTree

from learning_record.stream.continuity import Continuity

STATEMENTS = TP("lr.statements", 0)
OTHER = TP("lr.statements", 1)


@dataclass
class Message:
    tp: TP
    offset: int


@dataclass
class Event:
    message: Message


def event(tp: TP, offset: int) -> EventT[Any]:
    return cast(EventT[Any], Event(Message(tp, offset)))


def events(*records: tuple[TP, int]) -> list[EventT[Any]]:
    return [event(tp, offset) for tp, offset in records]


@dataclass
class Partitions:
    """A stand-in for Kafka behind the hole reader: the group's committed offsets, else every
    partition starts at ``start``; and what the consumer was told is done."""

    committed: dict[TP, int] = field(default_factory=dict)
    start: int = 0
    reads: list[tuple[TP, int, int]] = field(default_factory=list)
    settled: list[tuple[TP, int, int]] = field(default_factory=list)

    async def start_of(self, tp: TP) -> int | None:
        return self.committed.get(tp, self.start)

    async def settle(self, tp: TP, start: int, end: int) -> None:
        self.settled.append((tp, start, end))

    async def read(self, tp: TP, start: int, end: int) -> list[EventT[Any]]:
        self.reads.append((tp, start, end))
        return [event(tp, offset) for offset in range(start, end)]


def offsets(completed: list[EventT[Any]]) -> list[tuple[int, int]]:
    return [(e.message.tp.partition, e.message.offset) for e in completed]


def continuity(committed: dict[TP, int], kafka: Partitions) -> Continuity:
    kafka.committed = committed
    return Continuity(lambda tp: None, kafka, kafka.settle)


async def test_records_in_order_from_the_committed_offset_pass_untouched() -> None:
    kafka = Partitions()
    completed = await continuity({STATEMENTS: 12}, kafka).complete(
        events((STATEMENTS, 12), (OTHER, 0), (STATEMENTS, 13))
    )
    assert offsets(completed) == [(0, 12), (1, 0), (0, 13)]
    assert kafka.reads == []
    assert kafka.settled == []


async def test_records_dropped_after_the_committed_offset_are_read_again_in_place() -> None:
    kafka = Partitions()
    completed = await continuity({STATEMENTS: 12}, kafka).complete(
        events((STATEMENTS, 17), (OTHER, 0), (STATEMENTS, 18))
    )
    read_again = [(0, offset) for offset in range(12, 17)]
    assert offsets(completed) == [*read_again, (0, 17), (1, 0), (0, 18)]
    assert kafka.reads == [(STATEMENTS, 12, 17)]
    assert kafka.settled == [(STATEMENTS, 12, 17)]  # the consumer may commit past them


async def test_a_hole_between_batches_is_read_again() -> None:
    kafka = Partitions()
    checker = continuity({}, kafka)
    assert offsets(await checker.complete(events((STATEMENTS, 0)))) == [(0, 0)]
    assert offsets(await checker.complete(events((STATEMENTS, 3)))) == [(0, 1), (0, 2), (0, 3)]


async def test_a_group_that_never_committed_starts_at_the_start_of_the_partition() -> None:
    kafka = Partitions(start=5)
    completed = await continuity({}, kafka).complete(events((STATEMENTS, 7)))
    assert offsets(completed) == [(0, 5), (0, 6), (0, 7)]


async def test_records_seen_before_are_left_out_and_revoked_partitions_start_again() -> None:
    kafka = Partitions()
    committed = {STATEMENTS: 5}
    checker = continuity(committed, kafka)
    await checker.complete(events((STATEMENTS, 5), (STATEMENTS, 6)))
    assert offsets(await checker.complete(events((STATEMENTS, 6), (STATEMENTS, 7)))) == [(0, 7)]
    checker.forget({STATEMENTS})
    committed[STATEMENTS] = 3  # another worker committed less: it is read again from there
    assert offsets(await checker.complete(events((STATEMENTS, 3)))) == [(0, 3)]


def faust_consumer(committed: int, acked: list[int], gap: tuple[int, int]) -> Consumer:
    """The bookkeeping of Faust's consumer for one partition: offsets acked by the agents and a
    gap (offsets Faust was told, or found, are done), ``gap`` inclusive."""
    gaps: defaultdict[TP, IntervalTree] = defaultdict(IntervalTree)
    gaps[STATEMENTS].addi(gap[0], gap[1] + 1)
    return cast(
        Consumer,
        SimpleNamespace(
            _acked={STATEMENTS: sorted(acked)},
            _acked_index={STATEMENTS: set(acked)},
            _gap=gaps,
            _committed_offset={STATEMENTS: committed},
        ),
    )


def test_offsets_both_acked_and_in_a_gap_are_committed_in_one_step() -> None:
    # After a takeover Faust saw offset 541 before seeking back to 527: 528..540 became a gap,
    # then were delivered and acked too. Faust's own runs stop at each offset held twice, so
    # its commit moved one offset per commit interval.
    consumer = faust_consumer(527, list(range(527, 546)), (528, 540))
    assert Consumer._new_offset(consumer, STATEMENTS) == 546


def test_an_offset_neither_acked_nor_in_a_gap_still_stops_the_commit() -> None:
    consumer = faust_consumer(527, [527, 528, 529, 531, 532, 533], (528, 529))
    assert Consumer._new_offset(consumer, STATEMENTS) == 530
