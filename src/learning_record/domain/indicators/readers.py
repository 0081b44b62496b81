"""Indicators read from state values: the lifetime value for ``all``, else the window's buckets.

Readers merge the values they are given (counters and score sums add up, multisets add up item
by item, extremes take the best of each top) and compute each indicator from the merge, so a
read costs one pass over a handful of small values and never looks at a statement. Given no
value at all, they answer zeros and nulls: an unknown learner or activity is a normal case.

Distinct counts of a lifetime (a learner's days and activities, an activity's learners) are
counted by the view from member values, and passed in as ``members``; those of a window come
from its buckets.
"""

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from learning_record.domain.indicators import extremes
from learning_record.domain.indicators.state import (
    BOOKKEEPING,
    DAY,
    SCORE_COUNT,
    SCORE_SUM,
    Entity,
    score_sum,
)
from learning_record.domain.indicators.windows import iso_utc

Multiset = dict[str, int]
# Distinct counts of a lifetime, by indicator name (see the module's docstring).
Members = Mapping[str, int]

_TOPS = frozenset({"latest", "earliest", "progress", "best_score"})


class _Merged:
    """The sum of several state values, minus their bookkeeping."""

    __slots__ = ("best", "counters", "days", "multisets", "score_sum")

    def __init__(self, values: Iterable[Mapping[str, Any]]) -> None:
        self.counters: dict[str, int] = {}
        self.multisets: dict[str, Multiset] = {}
        self.best: dict[str, list[float]] = {}
        self.days: set[int] = set()
        self.score_sum = Fraction(0)
        for value in values:
            if value.get("statements", 0) > 0 and DAY in value:
                self.days.add(value[DAY])
            for name, field in value.items():
                if name in BOOKKEEPING:
                    continue
                if name == SCORE_SUM:
                    self.score_sum += score_sum(value)
                elif name in _TOPS:
                    held = extremes.best(field)
                    if held is not None:
                        self.best.setdefault(name, []).append(held)
                elif isinstance(field, int):
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

    def score_avg(self) -> float | None:
        """The correctly rounded sum of the scores (as ``math.fsum`` gives), divided by how
        many there are: the sum is kept exactly."""
        scores = self.count(SCORE_COUNT)
        return float(self.score_sum) / scores if scores else None

    def highest(self, name: str) -> float | None:
        return max(self.best[name]) if name in self.best else None

    def lowest(self, name: str) -> float | None:
        return min(self.best[name]) if name in self.best else None

    def time(self, extreme: float | None) -> str | None:
        return iso_utc(int(extreme)) if extreme is not None else None


def learner_indicators(
    values: Iterable[Mapping[str, Any]], members: Members | None = None
) -> dict[str, Any]:
    """A learner's indicators from their buckets of a window, or from their lifetime value with
    ``members`` (active_days, activities, completed_activities)."""
    merged = _Merged(values)
    success, failure = merged.count("success"), merged.count("failure")
    return {
        "statements": merged.count("statements"),
        "active_days": len(merged.days) if members is None else members["active_days"],
        "activities": len(merged.items("activities")) if members is None else members["activities"],
        "completed_activities": len(merged.items("completed_activities"))
        if members is None
        else members["completed_activities"],
        "time_spent_s": merged.time_spent_s(),
        "success_count": success,
        "failure_count": failure,
        "success_rate": success / (success + failure) if success + failure else None,
        "score_avg": merged.score_avg(),
        "last_active": merged.time(merged.highest("latest")),
        "verbs": dict(sorted(merged.items("verbs").items())),
    }


def activity_indicators(
    values: Iterable[Mapping[str, Any]], members: Members | None = None
) -> dict[str, Any]:
    """An activity's indicators from its buckets of a window, or from its lifetime value with
    ``members`` (learners, completed_learners)."""
    merged = _Merged(values)
    if members is None:
        learners = len(merged.items("learners"))
        completed = len(merged.items("completed_learners"))
    else:
        learners, completed = members["learners"], members["completed_learners"]
    return {
        "statements": merged.count("statements"),
        "learners": learners,
        "completed_learners": completed,
        "completion_rate": completed / learners if learners else None,
        "score_avg": merged.score_avg(),
        "time_spent_s": merged.time_spent_s(),
    }


def progress_indicators(values: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A learner's indicators on one activity, from the pair's lifetime value or buckets."""
    merged = _Merged(values)
    return {
        "statements": merged.count("statements"),
        "completed": merged.count("completions") > 0,
        "progress": merged.highest("progress"),
        "best_score": merged.highest("best_score"),
        "time_spent_s": merged.time_spent_s(),
        "first_seen": merged.time(merged.lowest("earliest")),
        "last_seen": merged.time(merged.highest("latest")),
    }


def read_indicators(
    entity: Entity, values: Iterable[Mapping[str, Any]], members: Members | None = None
) -> dict[str, Any]:
    """The indicators of any entity; ``members`` as for the entity's reader."""
    if entity is Entity.ACTIVITY:
        return activity_indicators(values, members)
    if entity is Entity.LEARNER:
        return learner_indicators(values, members)
    return progress_indicators(values)
