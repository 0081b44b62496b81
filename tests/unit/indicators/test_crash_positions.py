"""A crash can persist some values of an operation and lose others; the redelivered operation
completes the lost ones and counts nowhere twice. The worker writes an entity's lifetime after
the values it judges, so the values a crash loses are the lifetime, or it and some others."""

from __future__ import annotations

import copy

from learning_record.domain.indicators import Contribution, Entity, EntityState, contribution_of
from learning_record.domain.indicators.readers import learner_indicators
from learning_record.domain.indicators.state import Outcome, apply, retract
from tests.pseudonyms import learner_ids

LEARNER_ID = learner_ids("acme")


DOCUMENT = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {"mbox": "mailto:ada@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://example.org/a"},
    "timestamp": "2026-11-27T10:00:00.000Z",
    "stored": "2026-11-27T10:00:01.000Z",
}


def _contribution() -> Contribution:
    found = contribution_of(DOCUMENT, LEARNER_ID)
    assert found is not None
    return found


CONTRIBUTION = _contribution()


def fresh() -> EntityState:
    return EntityState(lifetime={}, minute={}, hour={}, member={})


def counts(state: EntityState) -> list[int]:
    return [
        learner_indicators([value])["statements"]
        for value in (state.lifetime, state.hour, state.minute)
    ]


def test_redelivered_apply_completes_the_values_whose_write_was_lost() -> None:
    state = fresh()
    before = copy.deepcopy(state)
    assert apply(Entity.LEARNER, state, CONTRIBUTION, (3, 100)) is Outcome.APPLIED
    state.lifetime, state.minute = before.lifetime, before.minute  # the crash lost these two

    assert apply(Entity.LEARNER, state, CONTRIBUTION, (3, 100)) is Outcome.APPLIED
    assert counts(state) == [1, 1, 1]
    assert state.member == {"statements": 1, "marks": {"3": 100}, "first": {"3": 100}}


def test_redelivered_retraction_completes_the_values_whose_write_was_lost() -> None:
    state = fresh()
    apply(Entity.LEARNER, state, CONTRIBUTION, (0, 5))
    before = copy.deepcopy(state)
    assert retract(Entity.LEARNER, state, CONTRIBUTION, (1, 9), (0, 5)) is Outcome.RETRACTED
    state.lifetime, state.hour = before.lifetime, before.hour  # lost; the minute was written

    assert retract(Entity.LEARNER, state, CONTRIBUTION, (1, 9), (0, 5)) is Outcome.RETRACTED
    assert counts(state) == [0, 0, 0]
    assert retract(Entity.LEARNER, state, CONTRIBUTION, (1, 9), (0, 5)) is Outcome.SKIPPED


def test_a_lost_cancellation_cancels_again_and_counts_nothing() -> None:
    state = fresh()
    retract(Entity.LEARNER, state, CONTRIBUTION, (1, 2), (0, 5))
    before = copy.deepcopy(state)
    assert apply(Entity.LEARNER, state, CONTRIBUTION, (0, 5)) is Outcome.CANCELLED
    state.lifetime = before.lifetime  # the lifetime's write was lost

    assert apply(Entity.LEARNER, state, CONTRIBUTION, (0, 5)) is Outcome.CANCELLED
    assert counts(state) == [0, 0, 0]
