"""``X-Experience-API-Consistent-Through``: every statement stored at or before this time is in
the view. Statements accepted over HTTP are written to the view before their 200; statements
produced straight to Kafka wait for the worker, so the time is the oldest record the worker has
not committed yet, or the time of the check when it is caught up everywhere."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from learning_record.ops.consumer_lag import LagReader, now_ms

log = logging.getLogger(__name__)

_EPOCH = datetime.fromtimestamp(0, UTC)


class ConsistencyClock:
    def __init__(self, reader: LagReader, cache_s: float = 1.0) -> None:
        self._reader = reader
        self._cache_s = cache_s
        self._lock = asyncio.Lock()
        self._value: datetime | None = None
        self._checked_at = 0.0

    async def consistent_through(self) -> datetime:
        async with self._lock:  # one broker round trip per second, however many readers
            if self._value is None or time.monotonic() - self._checked_at > self._cache_s:
                await self._refresh()
            assert self._value is not None
            return self._value

    async def _refresh(self) -> None:
        checked_ms = now_ms()
        try:
            lags = (await self._reader.read()).partitions
        except Exception:
            # Claim nothing we cannot show: keep the last value, or the epoch before the first.
            log.warning("consistency_check_failed", exc_info=True)
            if self._value is None:
                self._value = _EPOCH
            return
        behind = [lag.oldest_unprocessed_ms for lag in lags if lag.oldest_unprocessed_ms]
        through_ms = min(behind) - 1 if behind else checked_ms
        self._value = datetime.fromtimestamp(through_ms / 1000, UTC)
        self._checked_at = time.monotonic()
