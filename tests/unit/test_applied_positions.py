"""Redelivered events are recognised by their input position and skipped."""

from __future__ import annotations

from learning_domain.applied_positions import (
    AppliedMarks,
    SourcePosition,
    already_applied,
    mark_applied,
)


def test_positions_up_to_the_mark_are_applied_and_later_ones_are_not() -> None:
    marks: AppliedMarks = {}
    mark_applied(marks, SourcePosition(partition=2, offset=10, item=3))
    assert already_applied(marks, SourcePosition(2, 10, 3))
    assert already_applied(marks, SourcePosition(2, 10, 0))
    assert already_applied(marks, SourcePosition(2, 9, 99))
    assert not already_applied(marks, SourcePosition(2, 10, 4))
    assert not already_applied(marks, SourcePosition(2, 11, 0))


def test_marks_are_kept_per_input_partition() -> None:
    marks: AppliedMarks = {}
    mark_applied(marks, SourcePosition(0, 100, 0))
    assert not already_applied(marks, SourcePosition(1, 5, 0))
    assert marks == {"0": [100, 0]}
