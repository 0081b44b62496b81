"""Rolling windows on a bucket grid, and the time arithmetic they need.

Times are integer milliseconds since the Unix epoch (UTC) everywhere in the indicators, so that
bucket edges are exact. A window ``w`` at reference time ``T`` holds the event times ``t`` with
``floor_g(T) - w < floor_g(t) <= floor_g(T)``: the ``w / g`` most recent buckets of granularity
``g``, counting the one that contains ``T``. ``all`` is not a bucketed window: it is read from
lifetime totals (see docs/indicators.md).
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from learning_record.domain.xapi.common import Timestamp

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


class Granularity(StrEnum):
    """The width of a bucket: minute buckets for short windows, hour buckets for long ones."""

    MINUTE = "minute"
    HOUR = "hour"

    @property
    def ms(self) -> int:
        return MINUTE_MS if self is Granularity.MINUTE else HOUR_MS


class Window(StrEnum):
    """A window of the indicator catalogue, named as the API spells it."""

    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"
    ALL = "all"

    @property
    def length_ms(self) -> int:
        """The window's length ``w``; ``ValueError`` for ``all``, which has none."""
        return _LENGTHS_MS[self._bucketed()]

    @property
    def granularity(self) -> Granularity:
        """The bucket width ``g``; ``ValueError`` for ``all``, which is not bucketed."""
        return _GRANULARITIES[self._bucketed()]

    def _bucketed(self) -> "Window":
        if self is Window.ALL:
            raise ValueError("the 'all' window is read from lifetime totals, not from buckets")
        return self


_LENGTHS_MS = {
    Window.HOUR: HOUR_MS,
    Window.DAY: 24 * HOUR_MS,
    Window.WEEK: 7 * DAY_MS,
    Window.MONTH: 30 * DAY_MS,
}
_GRANULARITIES = {
    Window.HOUR: Granularity.MINUTE,
    Window.DAY: Granularity.MINUTE,
    Window.WEEK: Granularity.HOUR,
    Window.MONTH: Granularity.HOUR,
}
WINDOWS = tuple(Window)


def parse_window(text: str) -> Window:
    """The window named ``text``; ``ValueError`` saying which names exist when it is none."""
    try:
        return Window(text)
    except ValueError:
        names = ", ".join(repr(window.value) for window in Window)
        raise ValueError(f"window must be one of {names}; got {text!r}") from None


def parse_as_of(text: str) -> int:
    """An ``as_of`` parameter (ISO 8601 with a time zone) as epoch milliseconds.

    Raises ``ValueError`` saying why when ``text`` is not such a timestamp.
    """
    try:
        moment = Timestamp.parse(text).as_datetime
    except ValueError as exc:
        raise ValueError(f"as_of {exc}; got {text!r}") from None
    return epoch_ms(moment)


# --- Instants ----------------------------------------------------------------------------------


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, rounded down (sub-millisecond digits are dropped)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in time: give it a time zone")
    return (moment - _EPOCH) // _ONE_MS


def iso_utc(ms: int) -> str:
    """ISO 8601 in UTC with milliseconds and 'Z': ``2021-11-29T23:09:00.867Z``."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_day(ms: int) -> int:
    """The UTC date of an instant, as days since 1970-01-01."""
    return ms // DAY_MS


# --- Windows -----------------------------------------------------------------------------------


def floor_to(ms: int, granularity: Granularity) -> int:
    """``floor_g(x)``: ``ms`` rounded down to a multiple of the granularity (UTC)."""
    return ms - ms % granularity.ms


def in_window(window: Window, event_ms: int, as_of_ms: int) -> bool:
    """Whether an event time is in the window at reference time ``as_of_ms``.

    ``all`` holds every event time, whatever the reference time.
    """
    if window is Window.ALL:
        return True
    granularity = window.granularity
    now = floor_to(as_of_ms, granularity)
    return now - window.length_ms < floor_to(event_ms, granularity) <= now


def window_bounds(window: Window, as_of_ms: int) -> tuple[int, int] | None:
    """``(window_start, window_end)`` echoed by the API, or None for ``all``.

    ``window_start = floor_g(T) - w + g`` and ``window_end = floor_g(T) + g``: the window is the
    half-open interval ``[window_start, window_end)``.
    """
    if window is Window.ALL:
        return None
    g = window.granularity.ms
    now = floor_to(as_of_ms, window.granularity)
    return now - window.length_ms + g, now + g


# --- Buckets -----------------------------------------------------------------------------------


def bucket_ids(event_ms: int) -> tuple[int, int]:
    """The (minute, hour) buckets of an event time: whole minutes and hours since the epoch."""
    return event_ms // MINUTE_MS, event_ms // HOUR_MS


def buckets_for_window(window: Window, as_of_ms: int) -> range:
    """The ids of the buckets (of ``window.granularity``) that make up the window, oldest first.

    Raises ``ValueError`` for ``all``, which is read from lifetime totals.
    """
    g = window.granularity.ms
    newest = as_of_ms // g
    return range(newest - window.length_ms // g + 1, newest + 1)
