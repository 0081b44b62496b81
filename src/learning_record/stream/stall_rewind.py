"""Fetch a partition again when its records wait on the broker and its consumer stands still.

Faust can lose records it fetched when a rebalance comes at the wrong moment: a worker paused
past its session timeout (SIGSTOP, a long GC, a frozen VM) wakes up into a rebalance, and the
records fetched around it never reach an agent while its read position passes them.
``stream.continuity`` fills such a hole when a later record of the partition shows it; when
nothing comes after, nothing shows it, and the partition waits for ever with records past its
committed offset (a test that stopped a worker with SIGSTOP caught it).

So, every few seconds, a partition whose committed offset stood still for ``quiet_s`` while the
broker holds records past it is resumed and sought back to that offset: the records come again,
those processed before are left out by ``stream.continuity`` (and acknowledged, so the offset
moves), the others are processed. A busy agent moves its committed offset at every commit, so
it is never rewound; one stuck on a batch (Redis away) is, which only fetches again records
that its full buffer holds back anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

from faust.transport.consumer import Consumer, ThreadDelegateConsumer
from faust.types import TP, AppT

from learning_record.platform import logs, metrics
from learning_record.stream.continuity import HoleReader, faust_committed, flow_back

log = logs.get_logger(__name__)


class ConsumerPosition(Protocol):
    """Where a partition stands for this worker's consumer."""

    def log_end(self, tp: TP) -> int | None:
        """The broker's log-end offset as last fetched; None when not known yet."""

    async def committed(self, tp: TP) -> int | None:
        """The group's committed offset (its first offset when never committed)."""

    async def rewind(self, tp: TP, offset: int) -> bool:
        """Resume fetching ``tp`` from ``offset``; False when ``tp`` is no longer ours to seek
        (revoked, or a rebalance started)."""


@dataclass(frozen=True, slots=True)
class _Standstill:
    committed: int
    since: float


class StallRewinder:
    """Rewinds the partitions of ``check``'s argument that stood still ``quiet_s`` seconds
    with records waiting."""

    def __init__(self, position: ConsumerPosition, quiet_s: float) -> None:
        self._position = position
        self._quiet_s = quiet_s
        self._still: dict[TP, _Standstill] = {}

    async def check(self, assigned: Iterable[TP], now: float) -> list[TP]:
        """Rewind what stalled among ``assigned``; return those partitions."""
        assigned = set(assigned)
        for gone in self._still.keys() - assigned:
            del self._still[gone]
        rewound: list[TP] = []
        for tp in sorted(assigned):
            end = self._position.log_end(tp)
            committed = await self._position.committed(tp) if end else None
            if end is None or committed is None or committed >= end:
                self._still.pop(tp, None)  # caught up, or nothing known yet
                continue
            still = self._still.get(tp)
            if still is None or still.committed != committed:
                self._still[tp] = _Standstill(committed, now)  # moving: watch from here
                continue
            if now - still.since < self._quiet_s:
                continue
            if not await self._position.rewind(tp, committed):
                continue
            log.warning(
                "stalled_partition_rewound",
                topic=tp.topic,
                partition=tp.partition,
                committed=committed,
                log_end=end,
                quiet_s=round(now - still.since, 1),
            )
            metrics.WORKER_REWINDS.labels(metrics.WORKER, tp.topic).inc()
            self._still[tp] = _Standstill(committed, now)
            rewound.append(tp)
        return rewound


class FaustPosition:
    """The worker's Faust consumer, with the hole reader for offsets it does not know."""

    def __init__(self, app: AppT, reader: HoleReader) -> None:
        self._app = app
        self._committed = faust_committed(app)
        self._reader = reader

    def log_end(self, tp: TP) -> int | None:
        end = self._app.consumer.highwater(tp)
        return int(end) if end is not None else None

    async def committed(self, tp: TP) -> int | None:
        known = self._committed(tp)  # None for 0 as well as for unknown: ask the broker
        return known if known is not None else await self._reader.start_of(tp)

    def between_rebalances(self) -> bool:
        return not self._app.rebalancing and flow_back(cast(Consumer, self._app.consumer))

    async def rewind(self, tp: TP, offset: int) -> bool:
        consumer = self._app.consumer
        # Checked again after the awaits that found the stall: a rebalance may have begun.
        if not self.between_rebalances() or tp not in consumer.assignment():
            return False
        consumer.resume_partitions({tp})
        # On the consumer's own thread, and Faust's read offset with it.
        await cast(ThreadDelegateConsumer, consumer).seek_wait({tp: offset})
        return True
