"""State values: idempotent application, exact retraction in either order, retention, reads."""

import json
import math
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from learning_domain.indicators import (
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
from learning_domain.indicators.contributions import exact_key
from learning_domain.indicators.windows import HOUR_MS, MINUTE_MS

T = 1_772_368_496_789  # 2026-03-01T12:34:56.789Z
ADA = "mbox:mailto:ada@example.com"
A = "http://example.com/activities/a"
B = "http://example.com/activities/b"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"


def contribution(**overrides: Any) -> Contribution:
    base = Contribution(
        statement_id="s1",
        learner=ADA,
        learner_id="ada-id",
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


def test_a_statement_counts_once_however_often_it_is_applied() -> None:
    state = new_state()
    c = contribution(score="0.5", duration_ms=1500, success=True)
    assert apply(Entity.LEARNER, state, c) is True
    assert apply(Entity.LEARNER, state, c) is False
    for value in (state.lifetime, state.minute, state.hour):
        assert learner_indicators([value])["statements"] == 1
        assert learner_indicators([value])["time_spent_s"] == 1.5


def test_retraction_after_application_leaves_only_bookkeeping() -> None:
    state = new_state()
    c = contribution(completes=True, progress="1.0", score="0.5", duration_ms=10)
    apply(Entity.LEARNER_ACTIVITY, state, c)
    assert retract(Entity.LEARNER_ACTIVITY, state, c) is True
    assert state.lifetime == {}
    assert state.minute == {"stored_max": T + 1000}
    assert state.hour == {"stored_max": T + 1000, "voided": {"s1": 1}}
    # A redelivery of the voided statement is not counted again, nor retracted twice.
    assert apply(Entity.LEARNER_ACTIVITY, state, c) is False
    assert retract(Entity.LEARNER_ACTIVITY, state, c) is False
    assert progress_indicators([state.lifetime])["statements"] == 0


def test_retraction_before_application_is_a_tombstone_that_skips_the_statement() -> None:
    state = new_state()
    c = contribution()
    assert retract(Entity.ACTIVITY, state, c) is False
    assert state.hour == {"stored_max": T + 1000, "voided": {"s1": 1}}
    assert apply(Entity.ACTIVITY, state, c) is False
    assert state.lifetime == {}
    assert state.minute == {}


def test_other_statements_of_the_bucket_survive_a_retraction() -> None:
    state = new_state()
    first = contribution(statement_id="s1", score="0.5")
    second = contribution(statement_id="s2", event_ms=T + 1, score="0.5")
    apply(Entity.LEARNER, state, first)
    apply(Entity.LEARNER, state, second)
    retract(Entity.LEARNER, state, first)
    read = learner_indicators([state.hour])
    assert (read["statements"], read["score_avg"], read["last_active"]) == (
        1,
        0.5,
        "2026-03-01T12:34:56.790Z",
    )
    assert state.hour["applied"] == {"s2": 1}


def test_retraction_from_a_purged_minute_bucket_leaves_it_untouched() -> None:
    state = new_state()
    c = contribution()
    apply(Entity.LEARNER, state, c)
    state.minute = {}  # purged by the cleaner; the hour bucket still knows the statement
    assert retract(Entity.LEARNER, state, c) is True
    assert state.minute == {}
    assert state.lifetime == {}


def test_values_are_plain_json_with_string_keys() -> None:
    state = new_state()
    apply(Entity.LEARNER, state, contribution(score="0.5", success=False, duration_ms=7))
    for value in (state.lifetime, state.minute, state.hour):
        assert json.loads(json.dumps(value)) == value
    assert state.lifetime == {
        "statements": 1,
        "duration_ms": 7,
        "failure": 1,
        "verbs": {EXPERIENCED: 1},
        "times": {str(T): 1},
        "days": {str(T // 86_400_000): 1},
        "scores": {"0.5": 1},
        "activities": {A: 1},
    }


def test_buckets_record_the_newest_stored_time_even_from_a_tombstone() -> None:
    state = new_state()
    apply(Entity.LEARNER, state, contribution(statement_id="s1", stored_ms=T + 5))
    apply(Entity.LEARNER, state, contribution(statement_id="s2", stored_ms=T + 2))
    retract(Entity.LEARNER, state, contribution(statement_id="s3", stored_ms=T + 9))
    assert state.hour["stored_max"] == T + 9
    assert state.minute["stored_max"] == T + 5


def test_buckets_expire_on_their_newest_stored_time_not_on_event_time() -> None:
    retention = 40 * 24 * HOUR_MS
    old_event = contribution(event_ms=T - 365 * 24 * HOUR_MS, stored_ms=T)
    state = new_state()
    apply(Entity.LEARNER, state, old_event)
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
    apply(Entity.ACTIVITY, minute_one, contribution(statement_id="s1", completes=True))
    apply(
        Entity.ACTIVITY,
        minute_two,
        contribution(statement_id="s2", event_ms=T + MINUTE_MS, learner_id="bob-id"),
    )
    apply(Entity.ACTIVITY, minute_two, contribution(statement_id="s3", event_ms=T + MINUTE_MS))
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
    apply(Entity.LEARNER, one, contribution(statement_id="s1", activity=A, completes=True))
    apply(Entity.LEARNER, two, contribution(statement_id="s2", activity=B, event_ms=T + HOUR_MS))
    apply(Entity.LEARNER, two, contribution(statement_id="s3", activity=A, event_ms=T + HOUR_MS))
    read = learner_indicators([one.hour, two.hour])
    assert (read["activities"], read["completed_activities"], read["active_days"]) == (2, 1, 1)


@given(st.lists(st.floats(-1, 1), min_size=1, max_size=40))
def test_mean_from_a_multiset_equals_fsum_over_the_values(scores: list[float]) -> None:
    multiset: dict[str, int] = {}
    for score in scores:
        multiset[exact_key(score)] = multiset.get(exact_key(score), 0) + 1
    read = learner_indicators([{"scores": multiset}])
    assert read["score_avg"] == math.fsum(scores) / len(scores)
    assert sum(Fraction(float(k)) * n for k, n in multiset.items()) == sum(map(Fraction, scores))


def test_indicators_import_no_io_library() -> None:
    code = (
        "import sys, learning_domain.indicators, learning_domain.indicators.reference\n"
        "print(sorted({'aiohttp', 'aiokafka', 'faust', 'redis'} & sys.modules.keys()))"
    )

    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert loaded.strip() == "[]"
