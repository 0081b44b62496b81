"""Exactly-once application on top of at-least-once delivery.

Each learner event names the input record it came from: (input partition, offset, index in the
record). Events of one input partition reach a learner's table partition in order, so a table
value that remembers the last position applied per input partition can skip every redelivered
event after a crash, with state bounded by the number of input partitions.
"""

from __future__ import annotations

from typing import NamedTuple

# Stored inside JSON table values: {"<input partition>": [offset, index]}
AppliedMarks = dict[str, list[int]]


class SourcePosition(NamedTuple):
    partition: int
    offset: int
    item: int  # position of the statement within the record


def already_applied(marks: AppliedMarks, position: SourcePosition) -> bool:
    last = marks.get(str(position.partition))
    return last is not None and (position.offset, position.item) <= (last[0], last[1])


def mark_applied(marks: AppliedMarks, position: SourcePosition) -> None:
    marks[str(position.partition)] = [position.offset, position.item]
