"""Epoch milliseconds, spelled once.

Every stored time is rendered with millisecond precision, truncated (``iso_millis``), so its
epoch milliseconds truncate too, in integer arithmetic: ``datetime.timestamp() * 1000`` goes
through a float and can land one millisecond off either way.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def now_ms() -> int:
    """The wall clock, in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def now_utc() -> datetime:
    return datetime.now(UTC)


def epoch_ms(moment: datetime) -> int:
    """``moment`` (timezone-aware) in epoch milliseconds, truncated."""
    return (moment - _EPOCH) // _MILLISECOND


def seconds_to_ms(seconds: float) -> int:
    """Milliseconds of a time given in float seconds that was whole milliseconds (a Kafka
    timestamp, which Faust hands over as seconds): rounded, to undo the float's error."""
    return round(seconds * 1000)
