"""A partition whose records wait on the broker while its committed offset stands still is
fetched again from that offset (stream.stall_rewind); a moving or caught-up one never is."""

from __future__ import annotations

from dataclasses import dataclass, field

from faust.types import TP

from learning_record.stream.stall_rewind import StallRewinder

STATEMENTS = TP("lr.statements", 0)
OTHER = TP("lr.statements", 1)
QUIET_S = 15.0


@dataclass
class Position:
    """The consumer's view: log ends and committed offsets per partition, and its rewinds."""

    ends: dict[TP, int | None] = field(default_factory=dict)
    commits: dict[TP, int | None] = field(default_factory=dict)
    rewinds: list[tuple[TP, int]] = field(default_factory=list)
    revoked: set[TP] = field(default_factory=set)  # revoked between the check and the seek

    def log_end(self, tp: TP) -> int | None:
        return self.ends.get(tp)

    async def committed(self, tp: TP) -> int | None:
        return self.commits.get(tp)

    async def rewind(self, tp: TP, offset: int) -> bool:
        if tp in self.revoked:
            return False
        self.rewinds.append((tp, offset))
        return True


async def test_a_partition_standing_still_with_records_waiting_is_rewound_to_its_commit() -> None:
    position = Position(ends={STATEMENTS: 10}, commits={STATEMENTS: 6})
    rewinder = StallRewinder(position, QUIET_S)
    assert await rewinder.check({STATEMENTS}, now=100.0) == []
    assert await rewinder.check({STATEMENTS}, now=100.0 + QUIET_S - 0.1) == []
    assert await rewinder.check({STATEMENTS}, now=100.0 + QUIET_S) == [STATEMENTS]
    assert position.rewinds == [(STATEMENTS, 6)]
    # Still stuck: rewound again only after another quiet period.
    assert await rewinder.check({STATEMENTS}, now=100.0 + QUIET_S + 1) == []
    assert await rewinder.check({STATEMENTS}, now=100.0 + 2 * QUIET_S) == [STATEMENTS]
    assert position.rewinds == [(STATEMENTS, 6), (STATEMENTS, 6)]


async def test_a_moving_commit_restarts_the_watch() -> None:
    position = Position(ends={STATEMENTS: 10}, commits={STATEMENTS: 6})
    rewinder = StallRewinder(position, QUIET_S)
    await rewinder.check({STATEMENTS}, now=0.0)
    position.commits[STATEMENTS] = 8
    assert await rewinder.check({STATEMENTS}, now=QUIET_S) == []
    assert await rewinder.check({STATEMENTS}, now=2 * QUIET_S - 0.1) == []
    assert await rewinder.check({STATEMENTS}, now=2 * QUIET_S) == [STATEMENTS]
    assert position.rewinds == [(STATEMENTS, 8)]


async def test_caught_up_unknown_and_unassigned_partitions_are_left_alone() -> None:
    position = Position(ends={STATEMENTS: 10, OTHER: None}, commits={STATEMENTS: 10, OTHER: 3})
    rewinder = StallRewinder(position, QUIET_S)
    for now in (0.0, QUIET_S, 3 * QUIET_S):
        assert await rewinder.check({STATEMENTS, OTHER}, now) == []
    # Records arrive, then the partition is revoked before its quiet period ends.
    position.ends[STATEMENTS] = 12
    await rewinder.check({STATEMENTS}, now=4 * QUIET_S)
    await rewinder.check(set(), now=4.5 * QUIET_S)
    assert await rewinder.check({STATEMENTS}, now=5 * QUIET_S) == []
    assert await rewinder.check({STATEMENTS}, now=6 * QUIET_S) == [STATEMENTS]
    assert position.rewinds == [(STATEMENTS, 10)]


async def test_a_partition_revoked_before_its_seek_is_not_counted_as_rewound() -> None:
    position = Position(ends={STATEMENTS: 10}, commits={STATEMENTS: 6}, revoked={STATEMENTS})
    rewinder = StallRewinder(position, QUIET_S)
    await rewinder.check({STATEMENTS}, now=0.0)
    assert await rewinder.check({STATEMENTS}, now=QUIET_S) == []
    assert position.rewinds == []
