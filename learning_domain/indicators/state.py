"""The incremental indicator state: small JSON values, exact under replay and retraction.

Each entity (a learner, an activity, a learner-and-activity pair) keeps three kinds of values,
each under its own table key so that a batch writes each key once:

- ``lifetime``: totals of every statement ever applied (the ``all`` window);
- a minute bucket per minute of event time (the ``1h`` and ``24h`` windows);
- an hour bucket per hour of event time (the ``7d`` and ``30d`` windows).

A value holds integer counters and multisets ``{item: count}``, from which distinct counts,
maxima, minima and means are read exactly, and from which a statement can be taken back out.
Empty counters and multisets are left out, so values stay small. The hour bucket is the judge
of idempotency for its entity: it remembers which statement ids it applied (``applied``) and
which it was told to retract (``voided``, kept even when the retraction came first, so that a
later application of that id is skipped). Minute bucket and lifetime change only when the hour
bucket says that the statement was newly applied or really removed. Every bucket records the
newest ``stored`` time it saw (``stored_max``), on which retention is judged (``expired``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from learning_domain.indicators.contributions import Contribution
from learning_domain.indicators.windows import utc_day

# A table value: JSON objects with string keys, integer counts, string items.
StateValue = dict[str, Any]

APPLIED = "applied"
VOIDED = "voided"
STORED_MAX = "stored_max"
BOOKKEEPING = frozenset({APPLIED, VOIDED, STORED_MAX})


class Entity(StrEnum):
    """What indicators are kept about."""

    LEARNER = "learner"
    ACTIVITY = "activity"
    LEARNER_ACTIVITY = "learner-activity"


@dataclass(slots=True)
class EntityState:
    """The three values a statement changes for one entity (loaded, or new and empty)."""

    lifetime: StateValue
    minute: StateValue
    hour: StateValue


# What a contribution adds to a value: counters (name, amount) and multiset items (name, item).
Tally = tuple[list[tuple[str, int]], list[tuple[str, str]]]


def entities_of(contribution: Contribution) -> list[Entity]:
    """The entities a contribution counts for: the learner, and the activity and pair if any."""
    if contribution.activity is None:
        return [Entity.LEARNER]
    return [Entity.LEARNER, Entity.ACTIVITY, Entity.LEARNER_ACTIVITY]


def apply(entity: Entity, state: EntityState, contribution: Contribution) -> bool:
    """Count a statement in an entity's values; False (and nothing changed but ``stored_max``)
    when its hour bucket already applied it or was told to retract it."""
    hour = state.hour
    _record_stored(hour, contribution)
    statement_id = contribution.statement_id
    if statement_id in hour.get(APPLIED, ()) or statement_id in hour.get(VOIDED, ()):
        return False
    hour.setdefault(APPLIED, {})[statement_id] = 1
    tally = _TALLIES[entity](contribution)
    _add(hour, tally, 1)
    _add(state.minute, tally, 1)
    _record_stored(state.minute, contribution)
    _add(state.lifetime, tally, 1)
    return True


def retract(entity: Entity, state: EntityState, contribution: Contribution) -> bool:
    """Take a statement back out of an entity's values (it was voided); True when it had been
    applied. Either way the hour bucket remembers the id, so that it is never applied later."""
    hour = state.hour
    _record_stored(hour, contribution)
    statement_id = contribution.statement_id
    hour.setdefault(VOIDED, {})[statement_id] = 1
    applied = hour.get(APPLIED, {})
    if statement_id not in applied:
        return False
    del applied[statement_id]
    if not applied:
        del hour[APPLIED]
    tally = _TALLIES[entity](contribution)
    _add(hour, tally, -1)
    # A minute bucket already purged (it expires no later than its hour) has nothing to give back.
    if state.minute.get("statements"):
        _add(state.minute, tally, -1)
    _add(state.lifetime, tally, -1)
    return True


def expired(bucket: StateValue, now_ms: int, retention_ms: int) -> bool:
    """Whether a bucket may be purged: the newest ``stored`` time it saw is older than the
    retention (event times play no part, so a replay of old history is kept)."""
    stored_max = bucket.get(STORED_MAX)
    return stored_max is None or now_ms - stored_max > retention_ms


# --- Tallies: what a statement adds, per entity ------------------------------------------------


def _learner_tally(c: Contribution) -> Tally:
    counters = [("statements", 1)]
    if c.duration_ms:
        counters.append(("duration_ms", c.duration_ms))
    if c.success is not None:
        counters.append(("success" if c.success else "failure", 1))
    items = [
        ("verbs", c.verb),
        ("times", str(c.event_ms)),
        ("days", str(utc_day(c.event_ms))),
    ]
    if c.score is not None:
        items.append(("scores", c.score))
    if c.activity is not None:
        items.append(("activities", c.activity))
        if c.completes:
            items.append(("completed_activities", c.activity))
    return counters, items


def _activity_tally(c: Contribution) -> Tally:
    counters = [("statements", 1)]
    if c.duration_ms:
        counters.append(("duration_ms", c.duration_ms))
    items = [("learners", c.learner_id)]
    if c.completes:
        items.append(("completed_learners", c.learner_id))
    if c.score is not None:
        items.append(("scores", c.score))
    return counters, items


def _learner_activity_tally(c: Contribution) -> Tally:
    counters = [("statements", 1)]
    if c.duration_ms:
        counters.append(("duration_ms", c.duration_ms))
    if c.completes:
        counters.append(("completions", 1))
    items = [("times", str(c.event_ms))]
    if c.progress is not None:
        items.append(("progress", c.progress))
    if c.score is not None:
        items.append(("scores", c.score))
    return counters, items


_TALLIES: dict[Entity, Callable[[Contribution], Tally]] = {
    Entity.LEARNER: _learner_tally,
    Entity.ACTIVITY: _activity_tally,
    Entity.LEARNER_ACTIVITY: _learner_activity_tally,
}


def _add(value: StateValue, tally: Tally, sign: int) -> None:
    counters, items = tally
    for name, amount in counters:
        total = value.get(name, 0) + sign * amount
        if total:
            value[name] = total
        else:
            del value[name]
    for name, item in items:
        multiset = value.setdefault(name, {})
        count = multiset.get(item, 0) + sign
        if count:
            multiset[item] = count
        else:
            del multiset[item]
            if not multiset:
                del value[name]


def _record_stored(bucket: StateValue, contribution: Contribution) -> None:
    stored_ms = contribution.stored_ms
    if STORED_MAX not in bucket or stored_ms > bucket[STORED_MAX]:
        bucket[STORED_MAX] = stored_ms
