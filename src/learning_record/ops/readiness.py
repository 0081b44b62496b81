"""Readiness, judged from the broker's lag readings and the workers' heartbeats. Pure: no I/O.

Ready means: Kafka and Redis answer, some worker's heartbeat is fresh, and no partition is
stalled. A partition is stalled when records wait on it while its committed offset stands still
for longer than ``stall_after_s``: the known way Faust workers die slowly, with the process up
and its heartbeat (a timer) still beating, but nothing consumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from learning_record.ops.consumer_lag import GroupLag
from learning_record.store.heartbeats import Heartbeat


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [check.detail for check in self.checks if not check.ok]

    def to_dict(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "not_ready",
            "reasons": self.reasons,
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks},
        }


@dataclass(frozen=True, slots=True)
class Stalled:
    topic: str
    partition: int
    committed: int
    waiting: int  # records behind
    still_since_ms: int


class StallWatch:
    """Remembers, per partition, since when its committed offset has stood still while
    records waited behind it. Feed it every lag reading; readings may repeat."""

    def __init__(self, stall_after_s: float) -> None:
        self._stall_after_ms = stall_after_s * 1000
        self._still: dict[tuple[str, int], tuple[int, int]] = {}  # -> (committed, since ms)

    def observe(self, lag: GroupLag) -> list[Stalled]:
        stalled = []
        for p in lag.partitions:
            key = (p.topic, p.partition)
            if p.messages == 0:
                self._still.pop(key, None)  # caught up: nothing waits
                continue
            committed, since = self._still.get(key, (None, lag.read_at_ms))
            if committed != p.committed:
                self._still[key] = (p.committed, lag.read_at_ms)  # moved (or first seen behind)
                continue
            if lag.read_at_ms - since >= self._stall_after_ms:
                stalled.append(Stalled(p.topic, p.partition, p.committed, p.messages, since))
        return stalled


def heartbeat_check(heartbeats: list[Heartbeat], now_ms: int, timeout_s: float) -> Check:
    fresh = [h for h in heartbeats if h.age_s(now_ms) <= timeout_s]
    stale = [h for h in heartbeats if h.age_s(now_ms) > timeout_s]
    if not heartbeats:
        return Check("worker_heartbeat", False, "no worker heartbeat in Redis")
    stale_text = ", ".join(f"{h.worker} {h.age_s(now_ms):.1f}s ago" for h in stale)
    if not fresh:
        return Check(
            "worker_heartbeat",
            False,
            f"no worker heartbeat in the last {timeout_s:g}s (last: {stale_text})",
        )
    detail = f"{len(fresh)} worker(s) beating" + (f"; stale: {stale_text}" if stale else "")
    return Check("worker_heartbeat", True, detail)


def stall_check(stalled: list[Stalled], now_ms: int) -> Check:
    if not stalled:
        return Check("worker_progress", True, "no partition stalled")
    parts = ", ".join(
        f"{s.topic}[{s.partition}] {s.waiting} waiting at offset {s.committed} for "
        f"{(now_ms - s.still_since_ms) / 1000:.1f}s"
        for s in stalled
    )
    return Check("worker_progress", False, f"worker stalled: {parts}")
