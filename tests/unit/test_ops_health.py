"""Readiness rules, the stall watch, heartbeats and group owners, without I/O."""

from __future__ import annotations

from typing import ClassVar

from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from learning_record.ops.consumer_lag import (
    GroupLag,
    Owner,
    PartitionLag,
    decode_owners,
    is_bookkeeping_topic,
)
from learning_record.ops.readiness import StallWatch, heartbeat_check, stall_check
from learning_record.store.heartbeats import ApiHeartbeat, Heartbeat


def reading(at_ms: int, committed: int, log_end: int, topic: str = "lr.statements") -> GroupLag:
    return GroupLag(
        "lr-worker", "Stable", (PartitionLag(topic, 0, committed, log_end, None),), at_ms
    )


def test_partition_is_stalled_once_its_offset_stands_still_with_records_waiting() -> None:
    watch = StallWatch(stall_after_s=30)
    assert watch.observe(reading(0, committed=5, log_end=9)) == []
    assert watch.observe(reading(29_999, committed=5, log_end=12)) == []
    (stalled,) = watch.observe(reading(30_000, committed=5, log_end=12))
    assert (stalled.topic, stalled.partition, stalled.committed, stalled.waiting) == (
        "lr.statements",
        0,
        5,
        7,
    )
    assert stalled.still_since_ms == 0
    check = stall_check([stalled], now_ms=30_000)
    assert not check.ok
    assert check.detail == "worker stalled: lr.statements[0] 7 waiting at offset 5 for 30.0s"


def test_moving_offsets_are_not_a_stall_however_far_behind() -> None:
    watch = StallWatch(stall_after_s=30)
    for step in range(10):
        assert watch.observe(reading(step * 20_000, committed=step, log_end=1000)) == []


def test_a_caught_up_partition_starts_the_clock_again() -> None:
    watch = StallWatch(stall_after_s=30)
    watch.observe(reading(0, committed=5, log_end=9))
    assert watch.observe(reading(20_000, committed=9, log_end=9)) == []
    # Records arrive long after the last progress: not a stall until 30 s pass without it.
    assert watch.observe(reading(40_000, committed=9, log_end=10)) == []
    assert watch.observe(reading(69_999, committed=9, log_end=10)) == []
    assert len(watch.observe(reading(70_000, committed=9, log_end=10))) == 1


def beat(worker: str, at_ms: int) -> Heartbeat:
    return Heartbeat(worker=worker, at_ms=at_ms, started_ms=0)


def test_heartbeat_check_needs_one_fresh_worker_and_names_the_stale_ones() -> None:
    assert heartbeat_check([], 10_000, 10).detail == "no worker heartbeat in Redis"
    stale = heartbeat_check([beat("h:1", 0)], 12_500, 10)
    assert not stale.ok
    assert stale.detail == "no worker heartbeat in the last 10s (last: h:1 12.5s ago)"
    mixed = heartbeat_check([beat("h:2", 12_000), beat("h:1", 0)], 12_500, 10)
    assert mixed.ok
    assert mixed.detail == "1 worker(s) beating; stale: h:1 12.5s ago"


def test_heartbeats_round_trip_through_json() -> None:
    worker = Heartbeat(
        worker="h:1",
        at_ms=5,
        started_ms=1,
        assigned={"lr.statements": [0, 1]},
        processed={"lr.statements": {"0": 12}},
        metrics_url="http://h:9250/metrics",
        events=3,
    )
    assert Heartbeat.from_json(worker.to_json()) == worker
    api = ApiHeartbeat("h:2", at_ms=7, started_ms=2, metrics_url="http://h:8080/metrics")
    assert ApiHeartbeat.from_json(api.to_json()) == api


def test_a_heartbeat_of_the_previous_release_is_read_without_its_dropped_fields() -> None:
    # Written by a worker of the release that kept freshness quantiles and a metrics port.
    raw = b'{"worker": "h:1", "at_ms": 5, "started_ms": 1, "metrics_port": 9250, "events": 3,'
    raw += b' "freshness": {"view": {"p50_s": 0.05, "p99_s": 0.2, "samples": 3}}}'
    assert Heartbeat.from_json(raw) == Heartbeat(worker="h:1", at_ms=5, started_ms=1, events=3)


def test_owners_come_from_the_members_assignments() -> None:
    assignment = ConsumerProtocolMemberAssignment(
        0, [("lr.statements", [0, 1]), ("lr-worker-tallies-changelog", [0])], b""
    ).encode()

    class Description:
        groups: ClassVar = [
            (
                0,
                "lr-worker",
                "Stable",
                "consumer",
                "faust",
                [("m-1", "faust-0.15", "/10.0.0.2", b"", assignment)],
            )
        ]

    state, owners = decode_owners(Description())
    assert state == "Stable"
    owner = Owner("m-1", "faust-0.15", "10.0.0.2")
    assert {(tp.topic, tp.partition): o for tp, o in owners.items()} == {
        ("lr.statements", 0): owner,
        ("lr.statements", 1): owner,
        ("lr-worker-tallies-changelog", 0): owner,
    }
    assert is_bookkeeping_topic("lr-worker-tallies-changelog")
    assert is_bookkeeping_topic("lr-worker-__assignor-__leader")
    assert not is_bookkeeping_topic("lr.learner-ops")
