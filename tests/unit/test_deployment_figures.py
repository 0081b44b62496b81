"""The ops summary's totals, rates and freshness, from Prometheus texts of several processes."""

from __future__ import annotations

import pytest

from learning_record.ops.deployment import (
    Reading,
    ReadingWindow,
    freshness,
    histogram_quantile,
    rates,
    totals,
)
from learning_record.ops.monitor import scrape_targets
from learning_record.ops.scrape import Scraped, Target, parse_samples
from learning_record.platform.process import metrics_url
from learning_record.store.heartbeats import ApiHeartbeat, Heartbeat

API_TEXT = """\
# TYPE lr_statements_accepted_total counter
lr_statements_accepted_total{{component="api",path="http"}} {accepted}
# TYPE lr_statements_rejected_total counter
lr_statements_rejected_total{{component="api",path="http"}} 2.0
# TYPE lr_http_requests_total counter
lr_http_requests_total{{component="api",method="POST",route="/s",status="200"}} 40.0
lr_http_requests_total{{component="api",method="POST",route="/s",status="503"}} {errors}
# TYPE lr_rate_limited_total counter
lr_rate_limited_total{{component="api",plan="basic",limit="requests"}} 1.0
"""

WORKER_TEXT = """\
# TYPE lr_statements_accepted_total counter
lr_statements_accepted_total{{component="worker",path="kafka"}} {accepted}
# TYPE lr_statements_rejected_total counter
lr_statements_rejected_total{{component="worker",path="kafka"}} 1.0
# TYPE lr_statements_dead_lettered_total counter
lr_statements_dead_lettered_total{{component="worker"}} 1.0
# TYPE lr_worker_statements_processed_total counter
lr_worker_statements_processed_total{{component="worker"}} {processed}
# TYPE lr_freshness_seconds histogram
lr_freshness_seconds_bucket{{component="worker",topic="learner-ops",le="0.1"}} {fast}
lr_freshness_seconds_bucket{{component="worker",topic="learner-ops",le="1.0"}} {slow}
lr_freshness_seconds_bucket{{component="worker",topic="learner-ops",le="+Inf"}} {slow}
lr_freshness_seconds_count{{component="worker",topic="learner-ops"}} {slow}
lr_freshness_seconds_sum{{component="worker",topic="learner-ops"}} 1.0
"""


def api(accepted: float, errors: float = 0.0) -> str:
    return API_TEXT.format(accepted=accepted, errors=errors)


def worker(accepted: float, processed: float, fast: float = 0.0, slow: float = 0.0) -> str:
    return WORKER_TEXT.format(accepted=accepted, processed=processed, fast=fast, slow=slow)


def reading(at_ms: int, **texts: str) -> Reading:
    return Reading(at_ms, {process: parse_samples(text) for process, text in texts.items()})


def test_totals_add_up_the_counters_of_every_process() -> None:
    now = reading(0, a1=api(10), a2=api(5), w1=worker(4, processed=19))
    assert totals(now) == {
        "accepted": 19,
        "accepted_http": 15,
        "accepted_kafka": 4,
        "rejected_http": 4,
        "rejected_kafka": 1,
        "dead_lettered": 1,
        "processed": 19,
    }


def test_rates_are_the_increase_between_two_readings_per_second() -> None:
    then = reading(1_000, a1=api(10), w1=worker(4, processed=14))
    now = reading(5_000, a1=api(30, errors=2), w1=worker(8, processed=38))
    assert rates(now, then) == {
        "accepted_per_s": 6.0,  # (20 + 4) / 4 s
        "processed_per_s": 6.0,
        "http_5xx_per_s": 0.5,
        "http_429_per_s": 0.0,
    }


def test_a_restarted_process_counts_from_zero_and_a_new_one_waits_for_a_baseline() -> None:
    then = reading(0, a1=api(100), w1=worker(0, processed=50))
    # a1 restarted (its counter fell to 3); a2 appeared and has nothing to compare with.
    now = reading(2_000, a1=api(3), a2=api(1_000), w1=worker(0, processed=50))
    assert rates(now, then)["accepted_per_s"] == 1.5


def test_without_a_baseline_there_are_no_rates() -> None:
    assert set(rates(reading(0, a1=api(1)), None).values()) == {None}


def test_freshness_quantiles_interpolate_within_the_buckets_observed_in_between() -> None:
    then = reading(0, w1=worker(0, 0, fast=10, slow=10))
    # Since then: 50 records under 100 ms, 50 between 100 ms and 1 s.
    now = reading(5_000, w1=worker(0, 0, fast=60, slow=110))
    figures = freshness(now, then)
    assert figures["indicators"] == {"p50_s": 0.1, "p99_s": 0.982, "samples": 100}
    assert figures["view"] == {"p50_s": None, "p99_s": None, "samples": 0}


def test_a_quantile_past_the_last_finite_bucket_is_that_bucket_s_bound() -> None:
    assert histogram_quantile(0.99, [(0.5, 1.0), (1.0, 2.0), (float("inf"), 10.0)]) == 1.0
    assert histogram_quantile(0.5, [(1.0, 0.0), (float("inf"), 0.0)]) is None


def test_the_baseline_is_the_newest_reading_at_least_the_span_older() -> None:
    window = ReadingWindow(span_s=5)
    assert window.baseline_for(reading(0)) is None
    assert window.baseline_for(reading(1_500)).at_ms == 0  # type: ignore[union-attr]
    assert window.baseline_for(reading(6_000)).at_ms == 0  # type: ignore[union-attr]
    assert window.baseline_for(reading(7_000)).at_ms == 1_500  # type: ignore[union-attr]


def test_malformed_metrics_text_is_refused() -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_samples('lr_ready{component="api" 1\n')


@pytest.mark.parametrize(
    ("host", "url"),
    [("127.0.0.1", "http://127.0.0.1:9250/metrics"), ("::1", "http://[::1]:9250/metrics")],
)
def test_metrics_url_spells_the_host_others_reach(host: str, url: str) -> None:
    assert metrics_url(host, 9250) == url


def test_every_announced_process_is_read_and_a_worker_without_metrics_is_named() -> None:
    workers = [
        Heartbeat("w:1", 0, 0, metrics_url="http://w:9250/metrics"),
        Heartbeat("w:2", 0, 0, metrics_url=None),
    ]
    apis = [ApiHeartbeat("a:1", 0, 0, "http://a:8080/metrics")]
    targets, unserved = scrape_targets(workers, apis)
    assert targets == [
        Target("a:1", "api", "http://a:8080/metrics"),
        Target("w:1", "worker", "http://w:9250/metrics"),
    ]
    assert unserved == [Scraped(Target("w:2", "worker", ""), None, "serves no /metrics")]
