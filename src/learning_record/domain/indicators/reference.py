"""The batch reference: every indicator computed from scratch from a list of statements.

It is the definition the incremental state is checked against (the property tests, and
``lr verify`` on a replay of the topic), so it shares nothing with the state code path: it
parses each document into the xAPI models and applies the catalogue's definitions literally,
statement by statement. It is slow on purpose; never serve from it.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from learning_record.domain.errors import UnidentifiedActor
from learning_record.domain.identity import ifi_of
from learning_record.domain.indicators.contributions import CMI5_PROGRESS, VIDEO_PROGRESS
from learning_record.domain.indicators.windows import (
    Window,
    epoch_ms,
    in_window,
    iso_utc,
    parse_window,
)
from learning_record.domain.xapi.activities import Activity
from learning_record.domain.xapi.common import duration_seconds
from learning_record.domain.xapi.statements import Statement, parse_statement
from learning_record.domain.xapi.verbs import COMPLETED, PASSED


@dataclass(frozen=True, slots=True)
class _Counted:
    """A statement that counts, with the facts the definitions use."""

    learner: str
    activity: str | None
    verb: str
    event: datetime
    completes: bool
    progress: float | None
    score: float | None
    duration_ms: int
    success: bool | None

    @property
    def event_ms(self) -> int:
        return epoch_ms(self.event)

    @property
    def day(self) -> date:
        return self.event.astimezone(UTC).date()


@dataclass(frozen=True, slots=True)
class ReferenceIndicators:
    """Indicators of every learner (by IFI), activity and pair with a counted statement in the
    window; ``learner``, ``activity`` and ``learner_activity`` answer zeros for the others."""

    window: Window
    as_of_ms: int
    learners: dict[str, dict[str, Any]]
    activities: dict[str, dict[str, Any]]
    learner_activities: dict[tuple[str, str], dict[str, Any]]

    def learner(self, ifi: str) -> dict[str, Any]:
        return self.learners.get(ifi) or _learner_indicators([])

    def activity(self, activity_id: str) -> dict[str, Any]:
        return self.activities.get(activity_id) or _activity_indicators([])

    def learner_activity(self, ifi: str, activity_id: str) -> dict[str, Any]:
        return self.learner_activities.get((ifi, activity_id)) or _progress_indicators([])


@dataclass(frozen=True, slots=True)
class CountedStatements:
    """The statements that count, parsed once: the windows and reference times of a comparison
    all start from them instead of parsing every document again."""

    facts: tuple[_Counted, ...]


def counted_statements(statements: Iterable[Mapping[str, Any]]) -> CountedStatements:
    """Parse stored statement documents, in any order, duplicates included.

    A statement id counts once (its first document wins). Voiding statements and the statements
    they void do not count, whichever comes first.
    """
    return CountedStatements(tuple(_counted(statements)))


def compute_indicators(
    statements: Iterable[Mapping[str, Any]] | CountedStatements, window: str, as_of: datetime
) -> ReferenceIndicators:
    """Indicators for ``window`` at reference time ``as_of`` (ignored by ``all``, which counts
    every statement) from stored statement documents (see ``counted_statements``), or from
    statements already counted."""
    chosen = parse_window(window)
    as_of_ms = epoch_ms(as_of)
    if not isinstance(statements, CountedStatements):
        statements = counted_statements(statements)
    counted = [fact for fact in statements.facts if in_window(chosen, fact.event_ms, as_of_ms)]
    by_learner: dict[str, list[_Counted]] = {}
    by_activity: dict[str, list[_Counted]] = {}
    by_pair: dict[tuple[str, str], list[_Counted]] = {}
    for fact in counted:
        by_learner.setdefault(fact.learner, []).append(fact)
        if fact.activity is not None:
            by_activity.setdefault(fact.activity, []).append(fact)
            by_pair.setdefault((fact.learner, fact.activity), []).append(fact)
    return ReferenceIndicators(
        window=chosen,
        as_of_ms=as_of_ms,
        learners={key: _learner_indicators(facts) for key, facts in by_learner.items()},
        activities={key: _activity_indicators(facts) for key, facts in by_activity.items()},
        learner_activities={key: _progress_indicators(facts) for key, facts in by_pair.items()},
    )


def _counted(documents: Iterable[Mapping[str, Any]]) -> list[_Counted]:
    by_id: dict[str, Statement] = {}
    for document in documents:
        statement = parse_statement(document)
        if statement.id is None:
            raise ValueError("the reference needs stored statements, which all have an id")
        by_id.setdefault(statement.id, statement)
    voided = {statement.voided_target for statement in by_id.values() if statement.is_voiding}
    facts = []
    for statement_id, statement in by_id.items():
        if statement.is_voiding or statement_id in voided:
            continue
        try:
            learner = ifi_of(statement.actor)
        except UnidentifiedActor:
            continue  # an anonymous Group is no learner
        facts.append(_facts(statement, learner))
    return facts


def _facts(statement: Statement, learner: str) -> _Counted:
    result = statement.result
    target = statement.object
    completes = statement.verb.id in (COMPLETED, PASSED) or (
        result is not None and result.completion is True
    )
    score = None
    if result is not None and result.score is not None and result.score.scaled is not None:
        score = float(result.score.scaled)
    duration_ms = 0
    if result is not None and result.duration is not None:
        duration_ms = round(duration_seconds(result.duration) * 1000)
    extensions = {} if result is None or result.extensions is None else result.extensions
    return _Counted(
        learner=learner,
        activity=target.id if isinstance(target, Activity) else None,
        verb=statement.verb.id,
        event=statement.event_time,
        completes=completes,
        progress=_progress(completes, extensions, score),
        score=score,
        duration_ms=duration_ms,
        success=None if result is None else result.success,
    )


def _progress(completes: bool, extensions: Mapping[str, Any], score: float | None) -> float | None:
    if completes:
        return 1.0
    for iri, scale in ((VIDEO_PROGRESS, 1), (CMI5_PROGRESS, 100)):
        value = extensions.get(iri)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value) / scale
    if score is not None and score >= 0:
        return score
    return None


# --- The catalogue, literally ------------------------------------------------------------------


def _learner_indicators(facts: list[_Counted]) -> dict[str, Any]:
    successes = sum(1 for fact in facts if fact.success is True)
    failures = sum(1 for fact in facts if fact.success is False)
    activities = {fact.activity for fact in facts if fact.activity is not None}
    return {
        "statements": len(facts),
        "active_days": len({fact.day for fact in facts}),
        "activities": len(activities),
        "completed_activities": len(
            {fact.activity for fact in facts if fact.activity is not None and fact.completes}
        ),
        "time_spent_s": _seconds(facts),
        "success_count": successes,
        "failure_count": failures,
        "success_rate": successes / (successes + failures) if successes + failures else None,
        "score_avg": _mean([fact.score for fact in facts if fact.score is not None]),
        "last_active": iso_utc(max(fact.event_ms for fact in facts)) if facts else None,
        "verbs": dict(sorted(Counter(fact.verb for fact in facts).items())),
    }


def _activity_indicators(facts: list[_Counted]) -> dict[str, Any]:
    learners = {fact.learner for fact in facts}
    completed = {fact.learner for fact in facts if fact.completes}
    return {
        "statements": len(facts),
        "learners": len(learners),
        "completed_learners": len(completed),
        "completion_rate": len(completed) / len(learners) if learners else None,
        "score_avg": _mean([fact.score for fact in facts if fact.score is not None]),
        "time_spent_s": _seconds(facts),
    }


def _progress_indicators(facts: list[_Counted]) -> dict[str, Any]:
    times = [fact.event_ms for fact in facts]
    progress = [fact.progress for fact in facts if fact.progress is not None]
    scores = [fact.score for fact in facts if fact.score is not None]
    return {
        "statements": len(facts),
        "completed": any(fact.completes for fact in facts),
        "progress": max(progress, default=None),
        "best_score": max(scores, default=None),
        "time_spent_s": _seconds(facts),
        "first_seen": iso_utc(min(times)) if times else None,
        "last_seen": iso_utc(max(times)) if times else None,
    }


def _seconds(facts: list[_Counted]) -> float:
    return sum(fact.duration_ms for fact in facts) / 1000


def _mean(numbers: list[float]) -> float | None:
    return math.fsum(numbers) / len(numbers) if numbers else None
