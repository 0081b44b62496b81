"""``X-Experience-API-Consistent-Through`` claims only what the lag reading shows: the oldest
record not yet committed bounds it, and a partition behind whose oldest record's time could not
be read holds it where it was (api.consistency.ConsistencyClock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from learning_record.api.consistency import ConsistencyClock
from learning_record.ops.consumer_lag import GroupLag, PartitionLag

T0_MS = 1_796_300_000_000


@dataclass
class Readings:
    """A lag source answering the partitions it is given."""

    partitions: tuple[PartitionLag, ...] = ()
    group_id: str = "g"

    async def read(self) -> GroupLag:
        return GroupLag(self.group_id, "Stable", self.partitions, T0_MS)

    async def end_offsets(self, topic: str) -> dict[int, int]:
        return {}


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


async def test_the_oldest_uncommitted_record_bounds_the_claim() -> None:
    readings = Readings(
        (
            PartitionLag("lr.statements", 0, 10, 12, T0_MS + 500),
            PartitionLag("lr.statements", 1, 4, 9, T0_MS + 200),
            PartitionLag("lr.learner-ops", 0, 7, 7, None),  # caught up
        )
    )
    clock = ConsistencyClock(readings, cache_s=0.0)
    assert await clock.consistent_through() == at(T0_MS + 199)


async def test_a_partition_behind_with_no_known_time_claims_nothing_new() -> None:
    readings = Readings((PartitionLag("lr.statements", 0, 10, 12, T0_MS + 500),))
    clock = ConsistencyClock(readings, cache_s=0.0)
    assert await clock.consistent_through() == at(T0_MS + 499)

    # Further behind, but the time of its oldest record could not be read in time.
    readings.partitions = (PartitionLag("lr.statements", 0, 10, 40, None),)
    clock_first = ConsistencyClock(readings, cache_s=0.0)
    assert await clock_first.consistent_through() == at(0)  # nothing shown yet: the epoch
    await clock._refresh()
    assert await clock.consistent_through() == at(T0_MS + 499)  # where it was
