"""``X-Experience-API-Consistent-Through``: every statement stored at or before this time is in
the view. Statements accepted over HTTP are written to the view before their 200; statements
produced straight to Kafka wait for the worker, so the time is the oldest record the worker has
not committed yet, or the time of the check when it is caught up everywhere."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import cast

from learning_record.ops.consumer_lag import LagSource
from learning_record.platform import logs
from learning_record.platform.clock import now_ms

log = logs.get_logger(__name__)

_EPOCH = datetime.fromtimestamp(0, UTC)


class ConsistencyClock:
    """The last known reading, refreshed in the background at most once per ``cache_s``: a
    reader never waits on Kafka, except the very first for up to ``first_wait_s``. While Kafka
    cannot be read the time stands still (it claims nothing new)."""

    def __init__(
        self,
        reader: LagSource,
        cache_s: float = 1.0,
        first_wait_s: float = 1.0,
        deadline_s: float = 5.0,
    ) -> None:
        self._reader = reader
        self._cache_s = cache_s
        self._first_wait_s = first_wait_s
        self._deadline_s = deadline_s
        self._value: datetime | None = None
        self._checked_at = 0.0
        self._refreshing: asyncio.Task[None] | None = None

    async def consistent_through(self) -> datetime:
        if self._value is None:
            await asyncio.wait({self._refresh_in_background()}, timeout=self._first_wait_s)
            return self._value or _EPOCH
        if time.monotonic() - self._checked_at > self._cache_s:
            self._refresh_in_background()
        return self._value

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            await asyncio.gather(self._refreshing, return_exceptions=True)

    def _refresh_in_background(self) -> asyncio.Task[None]:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._refresh())
        return self._refreshing

    async def _refresh(self) -> None:
        checked_ms = now_ms()
        try:
            async with asyncio.timeout(self._deadline_s):
                lags = (await self._reader.read()).partitions
        except Exception:
            # Claim nothing we cannot show: keep the last value, or the epoch before the first.
            log.warning("consistency_check_failed", exc_info=True)
            self._value = self._value or _EPOCH
            self._checked_at = time.monotonic()
            return
        oldest = [lag.oldest_unprocessed_ms for lag in lags if lag.messages > 0]
        self._checked_at = time.monotonic()
        if None in oldest:
            # A partition is behind, but its oldest record's time was not read in time (a busy
            # broker): what it holds back is unknown, so claim nothing new.
            self._value = self._value or _EPOCH
            return
        through_ms = min(cast(list[int], oldest)) - 1 if oldest else checked_ms
        self._value = datetime.fromtimestamp(through_ms / 1000, UTC)
