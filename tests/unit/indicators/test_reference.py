"""The batch reference against indicators worked out by hand (the live path is checked against
the same cases in tests/component/test_hand_computed_indicators.py).

One small history, reference time 2026-03-01T12:34:56.789Z:

- Ada: s1 completes A at 12:30 (score 0.5, 1 min, success); s2 experiences A at 08:00Z
  (video progress 0.4, failure); s3 experiences B on 02-25 (score 1, 30 s); s4 experiences an
  Agent on 02-10; s5 plays B on 2025-12-01; s6 passes B but is voided; s7 completes A after the
  reference time (result.completion).
- Bob: b1 experiences A at 12:00 (score -0.5, success), delivered twice.
- A void of a statement that never comes, and an anonymous Group on A, count for nothing.

The tables keep one case per line, hence the formatter fences and the line-length exemption.
"""
# ruff: noqa: E501

from datetime import UTC, datetime
from typing import Any

import pytest

from learning_record.domain.indicators import Entity, Window
from learning_record.domain.indicators.contributions import VIDEO_PROGRESS
from learning_record.domain.indicators.reference import (
    CountedStatements,
    compute_indicators,
    counted_statements,
)
from learning_record.domain.xapi import parse_statement
from tests.unit.factories import REMOVE, make_agent, make_group, make_statement

AS_OF = datetime(2026, 3, 1, 12, 34, 56, 789_000, tzinfo=UTC)
ADA = "mbox:mailto:ada@example.com"
BOB = "account:http://example.com|bob"
A = "http://example.com/activities/a"
B = "http://example.com/activities/b"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
PLAYED = "https://w3id.org/xapi/video/verbs/played"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _statement(
    n: int, verb: str, target: str | dict[str, Any], timestamp: str, **overrides: Any
) -> dict[str, Any]:
    document = make_statement(
        id=f"00000000-0000-4000-8000-{n:012d}",
        verb={"id": verb},
        object={"id": target} if isinstance(target, str) else target,
        timestamp=timestamp,
        stored="2026-03-01T12:00:00Z",
        **overrides,
    )
    return parse_statement(document).to_document()


BOB_AGENT = make_agent(mbox=REMOVE, account={"homePage": "http://example.com", "name": "bob"})
S6 = _statement(6, PASSED, B, "2026-03-01T11:00:00Z")
B1 = _statement(
    11,
    EXPERIENCED,
    A,
    "2026-03-01T12:00:00Z",
    actor=BOB_AGENT,
    result={"score": {"scaled": -0.5}, "success": True},
)
HISTORY = [
    _statement(
        1, COMPLETED, A, "2026-03-01T12:30:00Z",
        result={"score": {"scaled": 0.5}, "duration": "PT1M", "success": True},
    ),
    _statement(
        21, VOIDED, {"objectType": "StatementRef", "id": S6["id"]}, "2026-03-01T12:31:00Z"
    ),
    _statement(
        2, EXPERIENCED, A, "2026-03-01T10:00:00+02:00",
        result={"extensions": {VIDEO_PROGRESS: 0.4}, "success": False},
    ),
    _statement(3, EXPERIENCED, B, "2026-02-25T00:00:00Z", result={"score": {"scaled": 1}, "duration": "PT30S"}),
    _statement(4, EXPERIENCED, make_agent(mbox="mailto:carol@example.com"), "2026-02-10T00:00:00Z"),
    _statement(5, PLAYED, B, "2025-12-01T00:00:00Z"),
    S6,
    _statement(7, EXPERIENCED, A, "2026-03-01T13:00:00Z", result={"completion": True}),
    B1,
    _statement(
        22, VOIDED, {"objectType": "StatementRef", "id": "00000000-0000-4000-8000-000000000099"},
        "2026-03-01T12:31:00Z",
    ),
    _statement(31, EXPERIENCED, A, "2026-03-01T12:00:00Z", actor=make_group()),
    B1,
]  # fmt: skip


def _learner(statements: int, days: int, activities: int, seconds: float, failures: int, verbs: dict[str, int], score: float = 0.5, last: str = "2026-03-01T12:30:00.000Z") -> dict[str, Any]:  # fmt: skip
    return {
        "statements": statements,
        "active_days": days,
        "activities": activities,
        "completed_activities": 1,
        "time_spent_s": seconds,
        "success_count": 1,
        "failure_count": failures,
        "success_rate": 1 / (1 + failures),
        "score_avg": score,
        "last_active": last,
        "verbs": verbs,
    }


ADA_BY_WINDOW = {
    Window.HOUR: _learner(1, 1, 1, 60.0, 0, {COMPLETED: 1}),
    Window.DAY: _learner(2, 1, 1, 60.0, 1, {COMPLETED: 1, EXPERIENCED: 1}),
    Window.WEEK: _learner(3, 2, 2, 90.0, 1, {COMPLETED: 1, EXPERIENCED: 2}, score=0.75),
    Window.MONTH: _learner(4, 3, 2, 90.0, 1, {COMPLETED: 1, EXPERIENCED: 3}, score=0.75),
    Window.ALL: _learner(
        6, 4, 2, 90.0, 1, {COMPLETED: 1, EXPERIENCED: 4, PLAYED: 1}, score=0.75,
        last="2026-03-01T13:00:00.000Z",
    ),
}  # fmt: skip

EXPECTED: list[tuple[Window, Entity, str, dict[str, Any]]] = [
    *[(window, Entity.LEARNER, ADA, expected) for window, expected in ADA_BY_WINDOW.items()],
    (Window.DAY, Entity.ACTIVITY, A, {"statements": 3, "learners": 2, "completed_learners": 1, "completion_rate": 0.5, "score_avg": 0.0, "time_spent_s": 60.0}),
    (Window.ALL, Entity.ACTIVITY, A, {"statements": 4, "learners": 2, "completed_learners": 1, "completion_rate": 0.5, "score_avg": 0.0, "time_spent_s": 60.0}),
    (Window.HOUR, Entity.ACTIVITY, B, {"statements": 0, "learners": 0, "completed_learners": 0, "completion_rate": None, "score_avg": None, "time_spent_s": 0.0}),
    (Window.ALL, Entity.ACTIVITY, B, {"statements": 2, "learners": 1, "completed_learners": 0, "completion_rate": 0.0, "score_avg": 1.0, "time_spent_s": 30.0}),
    (Window.DAY, Entity.LEARNER_ACTIVITY, f"{ADA} {A}", {"statements": 2, "completed": True, "progress": 1.0, "best_score": 0.5, "time_spent_s": 60.0, "first_seen": "2026-03-01T08:00:00.000Z", "last_seen": "2026-03-01T12:30:00.000Z"}),
    (Window.ALL, Entity.LEARNER_ACTIVITY, f"{ADA} {B}", {"statements": 2, "completed": False, "progress": 1.0, "best_score": 1.0, "time_spent_s": 30.0, "first_seen": "2025-12-01T00:00:00.000Z", "last_seen": "2026-02-25T00:00:00.000Z"}),
    (Window.HOUR, Entity.LEARNER_ACTIVITY, f"{BOB} {A}", {"statements": 1, "completed": False, "progress": None, "best_score": -0.5, "time_spent_s": 0.0, "first_seen": "2026-03-01T12:00:00.000Z", "last_seen": "2026-03-01T12:00:00.000Z"}),
    (Window.ALL, Entity.LEARNER, "mbox:mailto:nobody@example.com", {"statements": 0, "active_days": 0, "activities": 0, "completed_activities": 0, "time_spent_s": 0.0, "success_count": 0, "failure_count": 0, "success_rate": None, "score_avg": None, "last_active": None, "verbs": {}}),
]  # fmt: skip


def _from_reference(
    statements: list[dict[str, Any]] | CountedStatements, window: Window, entity: Entity, key: str
) -> dict[str, Any]:
    reference = compute_indicators(statements, window, AS_OF)
    if entity is Entity.LEARNER:
        return reference.learner(key)
    if entity is Entity.ACTIVITY:
        return reference.activity(key)
    learner, activity = key.split(" ")
    return reference.learner_activity(learner, activity)


@pytest.mark.parametrize(("window", "entity", "key", "expected"), EXPECTED)
def test_reference_gives_the_hand_computed_indicators(
    window: Window, entity: Entity, key: str, expected: dict[str, Any]
) -> None:
    assert _from_reference(HISTORY, window, entity, key) == expected


# Parsed once, as a comparison over many windows does it: every window still comes out right.
COUNTED_ONCE = counted_statements(HISTORY)


@pytest.mark.parametrize(("window", "entity", "key", "expected"), EXPECTED)
def test_statements_counted_once_give_the_hand_computed_indicators(
    window: Window, entity: Entity, key: str, expected: dict[str, Any]
) -> None:
    assert _from_reference(COUNTED_ONCE, window, entity, key) == expected


def test_reference_lists_only_entities_with_counted_statements_in_the_window() -> None:
    reference = compute_indicators(HISTORY, "1h", AS_OF)
    assert set(reference.learners) == {ADA, BOB}
    assert set(reference.activities) == {A}
    assert set(reference.learner_activities) == {(ADA, A), (BOB, A)}


def test_reference_refuses_an_unknown_window() -> None:
    with pytest.raises(ValueError, match="window must be one of"):
        compute_indicators(HISTORY, "2h", AS_OF)
