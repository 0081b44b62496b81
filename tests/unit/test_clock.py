"""Epoch milliseconds agree with the rendered stored time, to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from learning_record.domain.indicators.windows import iso_utc
from learning_record.domain.ingest import iso_millis
from learning_record.platform.clock import epoch_ms, seconds_to_ms

moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
)


@given(moments)
def test_epoch_ms_renders_back_as_the_stored_time(moment: datetime) -> None:
    assert iso_utc(epoch_ms(moment)) == iso_millis(moment)


def test_epoch_ms_truncates_where_the_float_path_rounds() -> None:
    moment = datetime(2026, 12, 3, 9, 41, 29, 999_600, tzinfo=UTC)
    assert epoch_ms(moment) == 1_796_290_889_999
    assert round(moment.timestamp() * 1000) == 1_796_290_890_000


@given(st.integers(min_value=0, max_value=32_503_680_000_000))
def test_a_kafka_timestamp_in_seconds_comes_back_exact(ms: int) -> None:
    assert seconds_to_ms(ms / 1000) == ms
