"""Deployment-wide figures from the processes' own Prometheus counters. Pure: no I/O.

A reading is what every process that answered exported at one moment. Totals add up the
counters of one reading (each statement is counted by one process only: platform.metrics). Rates
and freshness quantiles come from the difference between two readings, process by process, the
way Prometheus's ``rate`` takes it: a counter lower than before means its process restarted, and
then all of its current value is new.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from learning_record.ops.scrape import Samples

Labels = Mapping[str, str]
Where = Callable[[Labels], bool]


def everything(labels: Labels) -> bool:
    return True


def path_is(path: str) -> Where:
    return lambda labels: labels.get("path") == path


def server_error(labels: Labels) -> bool:
    return labels.get("status", "").startswith("5")


def view_topic(labels: Labels) -> bool:
    return labels.get("topic") == "statements"


def indicator_topic(labels: Labels) -> bool:
    return labels.get("topic") != "statements"


# What the summary's totals and rates count: (sample name, which of its series).
ACCEPTED_HTTP = ("lr_statements_accepted_total", path_is("http"))
ACCEPTED_KAFKA = ("lr_statements_accepted_total", path_is("kafka"))
REJECTED_HTTP = ("lr_statements_rejected_total", path_is("http"))
REJECTED_KAFKA = ("lr_statements_rejected_total", path_is("kafka"))
DEAD_LETTERED = ("lr_statements_dead_lettered_total", everything)
PROCESSED = ("lr_worker_statements_processed_total", everything)
ACCEPTED = ("lr_statements_accepted_total", everything)
SERVER_ERRORS = ("lr_http_requests_total", server_error)
RATE_LIMITED = ("lr_rate_limited_total", everything)
FRESHNESS = "lr_freshness_seconds"
# The statement view is written from the statements topic, the indicators from the others.
STAGES: dict[str, Where] = {"view": view_topic, "indicators": indicator_topic}


@dataclass(frozen=True, slots=True)
class Reading:
    at_ms: int
    by_process: dict[str, Samples]  # the processes that answered


def summed(samples: Samples, name: str, where: Where = everything) -> float:
    return sum(v for (n, labels), v in samples.items() if n == name and where(dict(labels)))


def totals(reading: Reading) -> dict[str, int]:
    def total(selector: tuple[str, Where]) -> int:
        return round(sum(summed(s, *selector) for s in reading.by_process.values()))

    accepted_http, accepted_kafka = total(ACCEPTED_HTTP), total(ACCEPTED_KAFKA)
    return {
        "accepted": accepted_http + accepted_kafka,
        "accepted_http": accepted_http,
        "accepted_kafka": accepted_kafka,
        "rejected_http": total(REJECTED_HTTP),
        "rejected_kafka": total(REJECTED_KAFKA),
        "dead_lettered": total(DEAD_LETTERED),
        "processed": total(PROCESSED),
    }


def increase(now: Reading, then: Reading) -> Samples:
    """How much each series grew from ``then`` to ``now``, added up over the processes that
    answered both times (one that was missing has no baseline to compare with)."""
    grown: Samples = {}
    for process, samples in now.by_process.items():
        before = then.by_process.get(process)
        if before is None:
            continue
        for series, value in samples.items():
            previous = before.get(series, 0.0)
            # Lower than before: the process restarted and counts from zero again.
            grown[series] = grown.get(series, 0.0) + (
                value - previous if value >= previous else value
            )
    return grown


def rates(now: Reading, then: Reading | None) -> dict[str, float | None]:
    """Per second between the two readings; None without a baseline."""
    names = ("accepted_per_s", "processed_per_s", "http_5xx_per_s", "http_429_per_s")
    if then is None or now.at_ms <= then.at_ms:
        return dict.fromkeys(names, None)
    grown, seconds = increase(now, then), (now.at_ms - then.at_ms) / 1000
    selectors = (ACCEPTED, PROCESSED, SERVER_ERRORS, RATE_LIMITED)
    return {
        name: round(summed(grown, *selector) / seconds, 3)
        for name, selector in zip(names, selectors, strict=True)
    }


def freshness(now: Reading, then: Reading | None) -> dict[str, dict[str, float | int | None]]:
    """Per stage, p50 and p99 of the freshness observed between the two readings, over every
    worker, interpolated within buckets as Prometheus's ``histogram_quantile`` does."""
    grown = increase(now, then) if then is not None else {}
    figures: dict[str, dict[str, float | int | None]] = {}
    for stage, where in STAGES.items():
        buckets = cumulative_buckets(grown, where)
        figures[stage] = {
            "p50_s": histogram_quantile(0.5, buckets),
            "p99_s": histogram_quantile(0.99, buckets),
            "samples": round(buckets[-1][1]) if buckets else 0,
        }
    return figures


def cumulative_buckets(samples: Samples, where: Where) -> list[tuple[float, float]]:
    """``(le, count)`` of the freshness histogram's series selected by ``where``, summed, by le."""
    counts: dict[float, float] = {}
    for (name, labels), value in samples.items():
        as_dict = dict(labels)
        if name == f"{FRESHNESS}_bucket" and where(as_dict):
            le = float(as_dict["le"])
            counts[le] = counts.get(le, 0.0) + value
    return sorted(counts.items())


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The ``q`` quantile of cumulative ``(le, count)`` buckets ending with ``+Inf``; None when
    they count nothing."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    index = next(i for i, (_, count) in enumerate(buckets) if count >= rank)
    le, count = buckets[index]
    lower, below = buckets[index - 1] if index else (0.0, 0.0)
    if math.isinf(le):  # past the last finite bound: that bound is all we know
        return lower
    return round(lower + (le - lower) * (rank - below) / (count - below), 6)


class ReadingWindow:
    """The recent readings, to compare each new one with one about ``span_s`` older: a
    difference over a few seconds smooths out the worker's batches, and polls that come close
    together (two dashboards open) do not shrink it to nothing."""

    def __init__(self, span_s: float, capacity: int = 64) -> None:
        self.span_ms = span_s * 1000
        self._readings: deque[Reading] = deque(maxlen=capacity)

    def baseline_for(self, reading: Reading) -> Reading | None:
        """Keep ``reading``; the newest kept one at least ``span_s`` older than it, or the
        oldest one there is."""
        while len(self._readings) >= 2 and reading.at_ms - self._readings[1].at_ms >= self.span_ms:
            self._readings.popleft()
        baseline = self._readings[0] if self._readings else None
        self._readings.append(reading)
        return baseline
