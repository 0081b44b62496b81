"""Indicators read from state values: the lifetime value for ``all``, else the window's buckets.

Readers merge the values they are given (counters add up, multisets add up item by item) and
compute each indicator from the merge, so a read costs one pass over a handful of small values
and never looks at a statement. Given no value at all, they answer zeros and nulls: an unknown
learner or activity is a normal case.
"""

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from learning_domain.indicators.state import BOOKKEEPING, Entity
from learning_domain.indicators.windows import iso_utc

Multiset = dict[str, int]


class _Merged:
    """The sum of several state values, minus their bookkeeping."""

    __slots__ = ("counters", "multisets")

    def __init__(self, values: Iterable[Mapping[str, Any]]) -> None:
        self.counters: dict[str, int] = {}
        self.multisets: dict[str, Multiset] = {}
        for value in values:
            for name, field in value.items():
                if name in BOOKKEEPING:
                    continue
                if isinstance(field, int):
                    self.counters[name] = self.counters.get(name, 0) + field
                else:
                    merged = self.multisets.setdefault(name, {})
                    for item, count in field.items():
                        merged[item] = merged.get(item, 0) + count

    def count(self, name: str) -> int:
        return self.counters.get(name, 0)

    def items(self, name: str) -> Multiset:
        """The items present (count above zero) of a multiset."""
        return {item: n for item, n in self.multisets.get(name, {}).items() if n > 0}

    def time_spent_s(self) -> float:
        return self.count("duration_ms") / 1000

    def mean(self, name: str) -> float | None:
        """The mean of a multiset of numbers: their correctly rounded sum (as ``math.fsum``
        gives), divided by how many there are; computed exactly from the distinct values."""
        numbers = self.items(name)
        if not numbers:
            return None
        total = sum(Fraction(float(key)) * n for key, n in numbers.items())
        return float(total) / sum(numbers.values())

    def max(self, name: str) -> float | None:
        return max((float(key) for key in self.items(name)), default=None)

    def first_time(self) -> str | None:
        times = self.items("times")
        return iso_utc(min(int(key) for key in times)) if times else None

    def last_time(self) -> str | None:
        times = self.items("times")
        return iso_utc(max(int(key) for key in times)) if times else None


def learner_indicators(values: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A learner's indicators from their lifetime value, or from their buckets of a window."""
    merged = _Merged(values)
    success, failure = merged.count("success"), merged.count("failure")
    return {
        "statements": merged.count("statements"),
        "active_days": len(merged.items("days")),
        "activities": len(merged.items("activities")),
        "completed_activities": len(merged.items("completed_activities")),
        "time_spent_s": merged.time_spent_s(),
        "success_count": success,
        "failure_count": failure,
        "success_rate": success / (success + failure) if success + failure else None,
        "score_avg": merged.mean("scores"),
        "last_active": merged.last_time(),
        "verbs": dict(sorted(merged.items("verbs").items())),
    }


def activity_indicators(
    values: Iterable[Mapping[str, Any]], members: tuple[int, int] | None = None
) -> dict[str, Any]:
    """An activity's indicators from its buckets of a window, or from its lifetime value with
    ``members``: how many learners have statements, and completions, on it (member values)."""
    merged = _Merged(values)
    learners, completed = members or (
        len(merged.items("learners")),
        len(merged.items("completed_learners")),
    )
    return {
        "statements": merged.count("statements"),
        "learners": learners,
        "completed_learners": completed,
        "completion_rate": completed / learners if learners else None,
        "score_avg": merged.mean("scores"),
        "time_spent_s": merged.time_spent_s(),
    }


def progress_indicators(values: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A learner's indicators on one activity, from the pair's lifetime value or buckets."""
    merged = _Merged(values)
    return {
        "statements": merged.count("statements"),
        "completed": merged.count("completions") > 0,
        "progress": merged.max("progress"),
        "best_score": merged.max("scores"),
        "time_spent_s": merged.time_spent_s(),
        "first_seen": merged.first_time(),
        "last_seen": merged.last_time(),
    }


def read_indicators(
    entity: Entity, values: Iterable[Mapping[str, Any]], members: tuple[int, int] | None = None
) -> dict[str, Any]:
    """The indicators of any entity; ``members`` as for ``activity_indicators``."""
    if entity is Entity.ACTIVITY:
        return activity_indicators(values, members)
    if entity is Entity.LEARNER:
        return learner_indicators(values)
    return progress_indicators(values)
