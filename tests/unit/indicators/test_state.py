"""State values: applied once by origin, retracted exactly in either order, bounded, readable."""

import json
import math
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from learning_record.domain.indicators import (
    Contribution,
    Entity,
    EntityState,
    activity_indicators,
    apply,
    entities_of,
    expired,
    learner_indicators,
    progress_indicators,
    retract,
)
from learning_record.domain.indicators.state import Outcome, counts_in
from learning_record.domain.indicators.windows import HOUR_MS, MINUTE_MS

T = 1_772_368_496_789  # 2026-03-01T12:34:56.789Z
A = "http://example.com/activities/a"
B = "http://example.com/activities/b"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"


def contribution(**overrides: Any) -> Contribution:
    base = Contribution(
        statement_id="s1",
        learner="ada-id",
        activity=A,
        verb=EXPERIENCED,
        event_ms=T,
        stored_ms=T + 1000,
        completes=False,
        progress=None,
        score=None,
        duration_ms=0,
        success=None,
    )
    return replace(base, **overrides)


def new_state() -> EntityState:
    return EntityState(lifetime={}, minute={}, hour={}, member={})


def values(state: EntityState) -> list[dict[str, Any]]:
    return [state.lifetime, state.minute, state.hour]


def test_an_operation_counts_once_however_often_it_is_delivered() -> None:
    state = new_state()
    c = contribution(score=0.5, duration_ms=1500, success=True)
    assert apply(Entity.LEARNER, state, c, (0, 7)) is Outcome.APPLIED
    assert apply(Entity.LEARNER, state, c, (0, 7)) is Outcome.SKIPPED
    assert apply(Entity.LEARNER, state, c, (0, 3)) is Outcome.SKIPPED  # older: taken before
    for value in values(state):
        read = learner_indicators([value])
        assert (read["statements"], read["time_spent_s"], read["score_avg"]) == (1, 1.5, 0.5)
    assert state.member == {"statements": 1, "marks": {"0": 7}, "first": {"0": 7}}


def test_origins_of_other_partitions_are_judged_apart() -> None:
    state = new_state()
    apply(Entity.LEARNER, state, contribution(statement_id="s1"), (0, 100))
    assert apply(Entity.LEARNER, state, contribution(statement_id="s2"), (1, 5)) is Outcome.APPLIED
    assert state.lifetime["marks"] == {"0": 100, "1": 5}
    assert learner_indicators([state.lifetime])["statements"] == 2


def test_retraction_after_application_takes_everything_back() -> None:
    state = EntityState(lifetime={}, minute={}, hour={})  # a pair has no member value
    c = contribution(completes=True, progress=1.0, score=0.5, duration_ms=10)
    apply(Entity.LEARNER_ACTIVITY, state, c, (0, 1))
    assert retract(Entity.LEARNER_ACTIVITY, state, c, (2, 9), (0, 1)) is Outcome.RETRACTED
    assert state.lifetime == {"marks": {"0": 1, "2": 9}}
    assert state.minute == {
        "stored_max": T + 1000,
        "day": T // 86_400_000,
        "marks": {"0": 1, "2": 9},
        "first": {"0": 1, "2": 9},
    }
    assert retract(Entity.LEARNER_ACTIVITY, state, c, (2, 9), (0, 1)) is Outcome.SKIPPED
    assert progress_indicators([state.lifetime])["statements"] == 0


def test_retraction_before_application_waits_and_cancels_it() -> None:
    state = new_state()
    c = contribution()
    assert retract(Entity.ACTIVITY, state, c, (1, 4), (0, 8)) is Outcome.PENDING
    assert state.lifetime == {"pending": [[0, 8]], "marks": {"1": 4}}
    assert apply(Entity.ACTIVITY, state, c, (0, 8)) is Outcome.CANCELLED
    assert "pending" not in state.lifetime
    assert (
        activity_indicators([state.lifetime], {"learners": 0, "completed_learners": 0})[
            "statements"
        ]
        == 0
    )
    assert "statements" not in state.minute
    assert apply(Entity.ACTIVITY, state, c, (0, 8)) is Outcome.SKIPPED
    # The lifetime took both: no value counts it.
    for value in (state.lifetime, state.minute, state.hour):
        assert not counts_in(value, state.lifetime, (0, 8), (1, 4))


def test_a_bucket_purged_and_made_anew_is_not_retracted_from() -> None:
    state = new_state()
    old = contribution(statement_id="old")
    apply(Entity.LEARNER, state, old, (0, 10))
    state.minute = {}  # purged by retention; a later statement of that minute makes it anew
    apply(Entity.LEARNER, state, contribution(statement_id="late"), (0, 20))
    assert retract(Entity.LEARNER, state, old, (1, 3), (0, 10)) is Outcome.RETRACTED
    assert learner_indicators([state.minute])["statements"] == 1  # the late one stays
    assert learner_indicators([state.hour])["statements"] == 1
    assert learner_indicators([state.lifetime])["statements"] == 1


def test_other_statements_of_the_bucket_survive_a_retraction() -> None:
    state = new_state()
    first = contribution(statement_id="s1", score=0.5)
    second = contribution(statement_id="s2", event_ms=T + 1, score=0.5)
    apply(Entity.LEARNER, state, first, (0, 1))
    apply(Entity.LEARNER, state, second, (0, 2))
    retract(Entity.LEARNER, state, second, (0, 3), (0, 2))
    read = learner_indicators([state.hour])
    assert (read["statements"], read["score_avg"], read["last_active"]) == (
        1,
        0.5,
        "2026-03-01T12:34:56.789Z",
    )


def test_values_are_plain_json_and_hold_nothing_per_statement() -> None:
    state = new_state()
    c = contribution(score=0.5, success=False, duration_ms=7)
    apply(Entity.LEARNER, state, c, (3, 70))
    for value in (state.lifetime, state.minute, state.hour):
        assert json.loads(json.dumps(value)) == value
    assert state.lifetime == {
        "statements": 1,
        "duration_ms": 7,
        "failure": 1,
        "verbs": {EXPERIENCED: 1},
        "scores": 1,
        "score_sum": "1/1",
        "latest": [None, [T, 1]],
        "marks": {"3": 70},
    }
    for n in range(2, 200):
        apply(Entity.LEARNER, state, replace(c, event_ms=T + n), (3, 70 + n))
    assert len(json.dumps(state.lifetime)) < 300  # extremes stay bounded


def test_buckets_record_the_newest_stored_time() -> None:
    state = new_state()
    apply(Entity.LEARNER, state, contribution(statement_id="s1", stored_ms=T + 5), (0, 1))
    apply(Entity.LEARNER, state, contribution(statement_id="s2", stored_ms=T + 2), (0, 2))
    assert state.hour["stored_max"] == T + 5
    assert state.minute["stored_max"] == T + 5


def test_buckets_expire_on_their_newest_stored_time_not_on_event_time() -> None:
    retention = 40 * 24 * HOUR_MS
    old_event = contribution(event_ms=T - 365 * 24 * HOUR_MS, stored_ms=T)
    state = new_state()
    apply(Entity.LEARNER, state, old_event, (0, 1))
    assert expired(state.hour, T + retention, retention) is False
    assert expired(state.hour, T + retention + 1, retention) is True
    assert expired({}, T, retention) is True


def test_statements_without_activity_count_for_the_learner_only() -> None:
    assert entities_of(contribution()) == [
        Entity.LEARNER,
        Entity.ACTIVITY,
        Entity.LEARNER_ACTIVITY,
    ]
    assert entities_of(contribution(activity=None)) == [Entity.LEARNER]


def test_readers_merge_buckets_counting_distinct_items_once() -> None:
    minute_one, minute_two = new_state(), new_state()
    apply(Entity.ACTIVITY, minute_one, contribution(completes=True), (0, 1))
    apply(
        Entity.ACTIVITY,
        minute_two,
        contribution(statement_id="s2", event_ms=T + MINUTE_MS, learner="bob-id"),
        (0, 2),
    )
    apply(Entity.ACTIVITY, minute_two, contribution(event_ms=T + MINUTE_MS), (0, 3))
    read = activity_indicators([minute_one.minute, minute_two.minute])
    assert read == {
        "statements": 3,
        "learners": 2,
        "completed_learners": 1,
        "completion_rate": 0.5,
        "score_avg": None,
        "time_spent_s": 0.0,
    }


def test_learner_distinct_activities_and_days_merge_across_buckets() -> None:
    one, two = new_state(), new_state()
    apply(Entity.LEARNER, one, contribution(activity=A, completes=True), (0, 1))
    apply(Entity.LEARNER, two, contribution(activity=B, event_ms=T + HOUR_MS), (0, 2))
    apply(Entity.LEARNER, two, contribution(activity=A, event_ms=T + HOUR_MS), (0, 3))
    read = learner_indicators([one.hour, two.hour])
    assert (read["activities"], read["completed_activities"], read["active_days"]) == (2, 1, 1)


def test_lifetime_distinct_counts_come_from_the_member_counts() -> None:
    state = new_state()
    apply(Entity.LEARNER, state, contribution(), (0, 1))
    members = {"active_days": 3, "activities": 2, "completed_activities": 1}
    read = learner_indicators([state.lifetime], members)
    assert (read["active_days"], read["activities"], read["completed_activities"]) == (3, 2, 1)


@given(st.lists(st.floats(-1, 1), min_size=1, max_size=40), st.data())
def test_mean_from_the_exact_sum_equals_fsum_whatever_is_taken_back(
    scores: list[float], data: st.DataObject
) -> None:
    state = new_state()
    for n, score in enumerate(scores):
        apply(Entity.ACTIVITY, state, contribution(score=score), (0, n))
    kept = data.draw(st.lists(st.booleans(), min_size=len(scores), max_size=len(scores)))
    for n, (score, keep) in enumerate(zip(scores, kept, strict=True)):
        if not keep:
            retract(Entity.ACTIVITY, state, contribution(score=score), (1, n), (0, n))
    remaining = [score for score, keep in zip(scores, kept, strict=True) if keep]
    read = activity_indicators([state.lifetime], {"learners": 1, "completed_learners": 0})
    assert read["score_avg"] == (math.fsum(remaining) / len(remaining) if remaining else None)
    assert ("score_sum" in state.lifetime) is bool(remaining)
