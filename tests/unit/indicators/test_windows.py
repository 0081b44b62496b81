"""Windows on the bucket grid: membership, the echoed bounds, bucket ids, time arithmetic."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learning_record.domain.indicators.windows import (
    HOUR_MS,
    MINUTE_MS,
    Granularity,
    Window,
    bucket_ids,
    buckets_for_window,
    epoch_ms,
    floor_to,
    in_window,
    iso_utc,
    parse_as_of,
    parse_window,
    window_bounds,
)


def ms(text: str) -> int:
    return epoch_ms(datetime.fromisoformat(text))


# T = 2026-03-01T12:34:56.789Z: floor_minute(T) = 12:34:00, floor_hour(T) = 12:00:00.
T = ms("2026-03-01T12:34:56.789+00:00")


@pytest.mark.parametrize(
    ("window", "start", "end"),
    [
        (Window.HOUR, "2026-03-01T11:35:00.000Z", "2026-03-01T12:35:00.000Z"),
        (Window.DAY, "2026-02-28T12:35:00.000Z", "2026-03-01T12:35:00.000Z"),
        (Window.WEEK, "2026-02-22T13:00:00.000Z", "2026-03-01T13:00:00.000Z"),
        (Window.MONTH, "2026-01-30T13:00:00.000Z", "2026-03-01T13:00:00.000Z"),
    ],
)
def test_window_echoes_start_floor_minus_w_plus_g_and_end_floor_plus_g(
    window: Window, start: str, end: str
) -> None:
    bounds = window_bounds(window, T)
    assert bounds is not None
    assert (iso_utc(bounds[0]), iso_utc(bounds[1])) == (start, end)


def test_all_window_has_no_bounds() -> None:
    assert window_bounds(Window.ALL, T) is None


@pytest.mark.parametrize(
    ("window", "event", "inside"),
    [
        # 1h, minute grid: floor(T) - 1h = 11:34 is out, 11:35 is in.
        (Window.HOUR, "2026-03-01T11:34:59.999+00:00", False),
        (Window.HOUR, "2026-03-01T11:35:00.000+00:00", True),
        (Window.HOUR, "2026-03-01T12:34:00.000+00:00", True),
        # After T but in T's bucket: visible; the next bucket is not.
        (Window.HOUR, "2026-03-01T12:34:59.999+00:00", True),
        (Window.HOUR, "2026-03-01T12:35:00.000+00:00", False),
        (Window.DAY, "2026-02-28T12:34:59.999+00:00", False),
        (Window.DAY, "2026-02-28T12:35:00.000+00:00", True),
        # 7d, hour grid: floor(T) - 7d = 02-22T12:00 is out, 13:00 is in.
        (Window.WEEK, "2026-02-22T12:59:59.999+00:00", False),
        (Window.WEEK, "2026-02-22T13:00:00.000+00:00", True),
        (Window.WEEK, "2026-03-01T12:59:59.999+00:00", True),
        (Window.WEEK, "2026-03-01T13:00:00.000+00:00", False),
        (Window.MONTH, "2026-01-30T12:59:59.999+00:00", False),
        (Window.MONTH, "2026-01-30T13:00:00.000+00:00", True),
        # Offsets are only notation: 14:00+02:00 is 12:00Z.
        (Window.HOUR, "2026-03-01T13:34:59.999+02:00", False),
        (Window.HOUR, "2026-03-01T13:35:00.000+02:00", True),
        # `all` holds any time, even after T.
        (Window.ALL, "1999-01-01T00:00:00+00:00", True),
        (Window.ALL, "2030-01-01T00:00:00+00:00", True),
    ],
)
def test_membership_is_floor_t_minus_w_lt_floor_event_le_floor_t(
    window: Window, event: str, inside: bool
) -> None:
    assert in_window(window, ms(event), T) is inside


def test_windows_have_minute_or_hour_granularity() -> None:
    assert [window.granularity for window in Window if window is not Window.ALL] == [
        Granularity.MINUTE,
        Granularity.MINUTE,
        Granularity.HOUR,
        Granularity.HOUR,
    ]
    with pytest.raises(ValueError, match="lifetime"):
        Window.ALL.granularity  # noqa: B018


def test_floor_rounds_down_to_the_granularity_in_utc() -> None:
    assert iso_utc(floor_to(T, Granularity.MINUTE)) == "2026-03-01T12:34:00.000Z"
    assert iso_utc(floor_to(T, Granularity.HOUR)) == "2026-03-01T12:00:00.000Z"
    before_epoch = ms("1969-12-31T23:59:30+00:00")
    assert iso_utc(floor_to(before_epoch, Granularity.MINUTE)) == "1969-12-31T23:59:00.000Z"


def test_bucket_ids_are_whole_minutes_and_hours_since_the_epoch() -> None:
    assert bucket_ids(0) == (0, 0)
    assert bucket_ids(MINUTE_MS - 1) == (0, 0)
    assert bucket_ids(HOUR_MS) == (60, 1)
    assert bucket_ids(T) == (T // MINUTE_MS, T // HOUR_MS)


def test_window_buckets_are_the_w_over_g_most_recent_counting_t_s_own() -> None:
    minute, hour = bucket_ids(T)
    assert buckets_for_window(Window.HOUR, T) == range(minute - 59, minute + 1)
    assert len(buckets_for_window(Window.DAY, T)) == 1440
    assert buckets_for_window(Window.WEEK, T) == range(hour - 167, hour + 1)
    assert len(buckets_for_window(Window.MONTH, T)) == 720
    with pytest.raises(ValueError, match="lifetime"):
        buckets_for_window(Window.ALL, T)


@given(
    window=st.sampled_from([w for w in Window if w is not Window.ALL]),
    as_of=st.integers(0, 4_000_000_000_000),
    offset=st.integers(-40 * 86_400_000, 2 * HOUR_MS),
)
def test_window_buckets_hold_exactly_the_member_event_times(
    window: Window, as_of: int, offset: int
) -> None:
    event = as_of + offset
    bucket = bucket_ids(event)[0 if window.granularity is Granularity.MINUTE else 1]
    assert (bucket in buckets_for_window(window, as_of)) is in_window(window, event, as_of)
    bounds = window_bounds(window, as_of)
    assert bounds is not None
    assert (bounds[0] <= event < bounds[1]) is in_window(window, event, as_of)


def test_parse_window_names_the_windows_that_exist() -> None:
    assert [parse_window(name) for name in ("1h", "24h", "7d", "30d", "all")] == list(Window)
    with pytest.raises(ValueError, match=r"window must be one of '1h', '24h', '7d', '30d', 'all'"):
        parse_window("1d")


def test_parse_as_of_needs_a_time_zone() -> None:
    assert parse_as_of("2026-03-01T14:34:56.789+02:00") == T
    assert parse_as_of("2026-03-01T12:34:56.789Z") == T
    with pytest.raises(ValueError, match="as_of must be an ISO 8601 timestamp with a time zone"):
        parse_as_of("2026-03-01T12:34:56")


def test_epoch_ms_drops_sub_millisecond_digits_and_refuses_naive_datetimes() -> None:
    moment = datetime(2021, 11, 29, 23, 9, 0, 867_999, tzinfo=UTC)
    assert iso_utc(epoch_ms(moment)) == "2021-11-29T23:09:00.867Z"
    shifted = moment.astimezone(timezone(timedelta(hours=-5, minutes=-30)))
    assert epoch_ms(shifted) == epoch_ms(moment)
    with pytest.raises(ValueError, match="naive"):
        epoch_ms(datetime(2021, 11, 29))
