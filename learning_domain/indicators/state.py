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

Values are written to the changelog one key at a time, so a crash can leave an operation in
some values and not in others. Each value therefore marks the last operation position it took
per input partition (``marks``), and the hour bucket records which operation applied (or
retracted) each id: a redelivered operation completes the values it missed and no other.
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
MARKS = "marks"
BOOKKEEPING = frozenset({APPLIED, VOIDED, STORED_MAX, MARKS})

# Where an operation was read: (input partition, offset).
Position = tuple[int, int]


class Entity(StrEnum):
    """What indicators are kept about."""

    LEARNER = "learner"
    ACTIVITY = "activity"
    LEARNER_ACTIVITY = "learner-activity"


@dataclass(slots=True)
class EntityState:
    """The values a statement changes for one entity (loaded, or new and empty).

    An activity also has one ``member`` value per learner (their statements and completions on
    it): its lifetime learner counts are the number of members with statements (completions),
    so that no value grows with the number of learners of a popular activity."""

    lifetime: StateValue
    minute: StateValue
    hour: StateValue
    member: StateValue | None = None


# What a contribution adds to a value: counters (name, amount) and multiset items (name, item).
Tally = tuple[list[tuple[str, int]], list[tuple[str, str]]]


def entities_of(contribution: Contribution) -> list[Entity]:
    """The entities a contribution counts for: the learner, and the activity and pair if any."""
    if contribution.activity is None:
        return [Entity.LEARNER]
    return [Entity.LEARNER, Entity.ACTIVITY, Entity.LEARNER_ACTIVITY]


def apply(
    entity: Entity, state: EntityState, contribution: Contribution, position: Position | None = None
) -> bool:
    """Count a statement in an entity's values; False when its hour bucket already applied it
    (through another operation) or was told to retract it.

    ``position`` is where the operation was read (input partition, offset). Each value marks the
    last position it took per partition, so that an operation redelivered after a crash that
    left only some values written completes the others, and counts nowhere twice.
    """
    hour = state.hour
    _record_stored(hour, contribution)
    statement_id = contribution.statement_id
    if statement_id in hour.get(VOIDED, ()):
        return False
    applied = hour.setdefault(APPLIED, {})
    if statement_id in applied:
        if position is None or applied[statement_id] != list(position):
            return False  # a duplicate: another operation applied it
    else:
        applied[statement_id] = list(position) if position is not None else 1
    _record_stored(state.minute, contribution)
    _change(entity, state, contribution, position, 1, (hour, state.minute))
    return True


def retract(
    entity: Entity, state: EntityState, contribution: Contribution, position: Position | None = None
) -> bool:
    """Take a statement back out of an entity's values (it was voided); True when it had been
    applied. Either way the hour bucket remembers the id, so that it is never applied later.
    ``position`` as for ``apply``."""
    hour = state.hour
    _record_stored(hour, contribution)
    statement_id = contribution.statement_id
    voided = hour.setdefault(VOIDED, {})
    if statement_id in voided:
        # Only a redelivery of the very retraction that removed it may finish removing it.
        if position is None or voided[statement_id] != [*position, 1]:
            return False
    else:
        applied = hour.get(APPLIED, {})
        removed = statement_id in applied
        voided[statement_id] = [*position, int(removed)] if position is not None else 1
        if not removed:
            return False
        del applied[statement_id]
        if not applied:
            del hour[APPLIED]
    # A minute bucket already purged (it expires no later than its hour) has nothing to give back.
    buckets = (hour, state.minute) if state.minute.get("statements") else (hour,)
    _change(entity, state, contribution, position, -1, buckets)
    return True


def member_counts(member: StateValue) -> tuple[int, int]:
    """(statements, completions) of one learner on an activity, from its member value."""
    return member.get("statements", 0), member.get("completions", 0)


def _change(
    entity: Entity,
    state: EntityState,
    contribution: Contribution,
    position: Position | None,
    sign: int,
    buckets: tuple[StateValue, ...],
) -> None:
    """Add (or take back) a statement in each value that has not taken this operation yet."""
    tally = _TALLIES[entity](contribution)
    for value in buckets:
        if _first_time(value, position):
            _add(value, tally, sign)
    if entity is Entity.ACTIVITY:
        if state.member is None:
            raise ValueError("an activity's state needs the member value of the learner")
        if _first_time(state.member, position):
            _add(state.member, _member_tally(contribution), sign)
        tally = (tally[0], [item for item in tally[1] if item[0] not in _MEMBER_ITEMS])
    if _first_time(state.lifetime, position):
        _add(state.lifetime, tally, sign)


def _first_time(value: StateValue, position: Position | None) -> bool:
    """Whether ``value`` has not taken the operation at ``position`` yet; marks it taken."""
    if position is None:
        return True
    partition, offset = str(position[0]), position[1]
    marks = value.setdefault(MARKS, {})
    if marks.get(partition, -1) >= offset:
        return False
    marks[partition] = offset
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


# In an activity's lifetime, these are counted by member values instead (see EntityState).
_MEMBER_ITEMS = frozenset({"learners", "completed_learners"})


def _member_tally(c: Contribution) -> Tally:
    return [("statements", 1), *([("completions", 1)] if c.completes else [])], []


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
