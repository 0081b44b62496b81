"""How the suite summarises what it measured: a figure is the median of its runs, with the
lowest and highest run beside it; latencies are percentiles of the samples of one run."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spread:
    """One figure over several runs: its median, lowest and highest value; NaN for a figure
    that was not measured (no runs: its scenario failed)."""

    runs: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(tuple(values))

    @property
    def measured(self) -> bool:
        return bool(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else math.nan

    @property
    def low(self) -> float:
        return min(self.runs, default=math.nan)

    @property
    def high(self) -> float:
        return max(self.runs, default=math.nan)

    def scaled(self, factor: float) -> Spread:
        return Spread(tuple(value * factor for value in self.runs))


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of a non-empty sample."""
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def ratio(ours: Spread, theirs: Spread) -> float:
    """Median over median: the ratio the report quotes (NaN when either was not measured)."""
    return ours.median / theirs.median if theirs.median else math.nan


NOT_MEASURED = Spread(())
