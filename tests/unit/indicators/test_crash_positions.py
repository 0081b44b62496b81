"""A crash can persist some values of an operation and lose others; the redelivered operation
completes the lost ones and counts nowhere twice."""

from __future__ import annotations

import copy

from learning_domain.indicators import Entity, EntityState, contribution_of
from learning_domain.indicators.readers import learner_indicators
from learning_domain.indicators.state import apply, retract

DOCUMENT = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {"mbox": "mailto:ada@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://example.org/a"},
    "timestamp": "2026-11-27T10:00:00.000Z",
    "stored": "2026-11-27T10:00:01.000Z",
}


def fresh() -> EntityState:
    return EntityState(lifetime={}, minute={}, hour={})


def test_redelivered_apply_completes_the_value_whose_write_was_lost() -> None:
    contribution = contribution_of(DOCUMENT)
    assert contribution is not None
    state = fresh()
    before_lifetime = copy.deepcopy(state.lifetime)
    assert apply(Entity.LEARNER, state, contribution, (3, 100))
    state.lifetime = before_lifetime  # the crash lost this write only

    assert apply(Entity.LEARNER, state, contribution, (3, 100))  # the same operation again
    assert learner_indicators([state.lifetime])["statements"] == 1
    assert learner_indicators([state.hour])["statements"] == 1
    assert learner_indicators([state.minute])["statements"] == 1


def test_a_duplicate_operation_from_elsewhere_is_skipped_everywhere() -> None:
    contribution = contribution_of(DOCUMENT)
    assert contribution is not None
    state = fresh()
    assert apply(Entity.LEARNER, state, contribution, (3, 100))
    assert not apply(Entity.LEARNER, state, contribution, (1, 7))  # same id, another message
    assert learner_indicators([state.lifetime])["statements"] == 1


def test_redelivered_retraction_completes_the_value_whose_write_was_lost() -> None:
    contribution = contribution_of(DOCUMENT)
    assert contribution is not None
    state = fresh()
    apply(Entity.LEARNER, state, contribution, (0, 5))
    lifetime_before_retraction = copy.deepcopy(state.lifetime)
    assert retract(Entity.LEARNER, state, contribution, (0, 9))
    state.lifetime = lifetime_before_retraction  # the crash lost this write only

    assert retract(Entity.LEARNER, state, contribution, (0, 9))
    assert learner_indicators([state.lifetime])["statements"] == 0
    assert not retract(Entity.LEARNER, state, contribution, (2, 1))  # another retraction: no-op
    assert learner_indicators([state.hour])["statements"] == 0
