"""The incremental indicator state: small JSON values of bounded size, exact under redelivery,
reordering and retraction.

Each entity (a learner, an activity, a learner-and-activity pair) keeps its values under keys of
their own, so that a batch writes each key once:

- ``lifetime``: totals of every statement applied and not retracted (the ``all`` window); it is
  also the entity's *judge* (below) and is never purged;
- a minute bucket per minute of event time (the ``1h`` and ``24h`` windows);
- an hour bucket per hour of event time (the ``7d`` and ``30d`` windows);
- a ``member`` value per item whose distinct count the lifetime answers: per learner of an
  activity, per UTC day of a learner. Their number, not their size, grows with history.

A value holds integer counters, multisets ``{item: count}`` bounded by what one bucket can hold,
exact score sums (a fraction as text and a count), and ``extremes`` tops for maxima and minima.
Nothing in a value grows with the number of statements.

**Exactly once, by origin.** Every operation carries its *origin*: the input partition and the
position there (offset and index) of the statement that caused it. Operations from one input
partition reach a value in origin order, so each value keeps, per input partition, the last
origin it took (``marks``) and skips anything at or before it: a redelivery. The worker decides
upstream, once per statement, whether it is applied and whether it is retracted (the statement
view), so the same statement never arrives under two origins.

**Retraction.** A retraction carries the origin of the application it undoes. The lifetime has
taken that application or not; if not yet (the two travel through different partitions), it
keeps the retraction as *pending* and cancels the application when it arrives. A bucket takes a
retraction only when it took the application itself: its ``first`` origins tell apart a bucket
that was purged and made anew from the one that counted the statement.

**Crashes.** The worker writes an entity's bucket and member values to the changelog before its
lifetime, in one changelog partition: the lifetime having taken an operation means the others
have too. A redelivered operation completes the values it missed and no others.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from fractions import Fraction
from typing import Any

from learning_record.domain.indicators import extremes
from learning_record.domain.indicators.contributions import Contribution
from learning_record.domain.indicators.windows import utc_day

# A table value: a JSON object.
StateValue = dict[str, Any]

MARKS = "marks"
FIRST = "first"
PENDING = "pending"
STORED_MAX = "stored_max"
DAY = "day"
BOOKKEEPING = frozenset({MARKS, FIRST, PENDING, STORED_MAX, DAY})

# Where the statement behind an operation was read: (input partition, position), the position
# being the record's offset and the statement's index in it (see ``origin_of``).
Origin = tuple[int, int]

_INDEX_BITS = 20


def origin_of(partition: int, offset: int, index: int) -> Origin:
    """The origin of the statement at ``index`` in the record at ``offset`` of ``partition``."""
    return partition, (offset << _INDEX_BITS) | index


class Entity(StrEnum):
    """What indicators are kept about."""

    LEARNER = "learner"
    ACTIVITY = "activity"
    LEARNER_ACTIVITY = "learner-activity"


class Outcome(Enum):
    APPLIED = "applied"
    RETRACTED = "retracted"
    SKIPPED = "skipped"  # taken before: a redelivery
    PENDING = "pending"  # a retraction waiting for its application
    CANCELLED = "cancelled"  # an application whose retraction came first


@dataclass(slots=True)
class EntityState:
    """The values one operation changes for one entity (loaded, or new and empty): the lifetime,
    the minute and hour buckets of the statement's event time, and for an activity the
    statement's learner's member value, for a learner the statement's day's member value."""

    lifetime: StateValue
    minute: StateValue
    hour: StateValue
    member: StateValue | None = None

    def subordinates(self) -> list[tuple[StateValue, str]]:
        values = [(self.minute, "bucket"), (self.hour, "bucket")]
        if self.member is not None:
            values.append((self.member, "member"))
        return values


def entities_of(contribution: Contribution) -> list[Entity]:
    """The entities a contribution counts for: the learner, and the activity and pair if any."""
    if contribution.activity is None:
        return [Entity.LEARNER]
    return [Entity.LEARNER, Entity.ACTIVITY, Entity.LEARNER_ACTIVITY]


def apply(
    entity: Entity, state: EntityState, contribution: Contribution, origin: Origin
) -> Outcome:
    """Count a statement in an entity's values, once."""
    judge = state.lifetime
    if _taken(judge, origin):
        return Outcome.SKIPPED
    pending = judge.get(PENDING)
    if pending is not None and _pending_retraction(pending, origin):
        if not pending:
            del judge[PENDING]
        _mark(judge, origin)  # it took both operations: nothing counts (see ``counts_in``)
        return Outcome.CANCELLED
    tallies = _tallies(entity, contribution)
    for value, kind in state.subordinates():
        _record_bucket(value, kind, contribution)
        if not _taken(value, origin):
            _add(value, tallies[kind], 1)
            _mark(value, origin, subordinate=True)
    _add(judge, tallies["lifetime"], 1)
    _mark(judge, origin)
    return Outcome.APPLIED


def retract(
    entity: Entity,
    state: EntityState,
    contribution: Contribution,
    origin: Origin,
    applied_at: Origin,
) -> Outcome:
    """Take back (a void) the statement that the operation at ``applied_at`` applied."""
    judge = state.lifetime
    if _taken(judge, origin):
        return Outcome.SKIPPED
    if not _taken(judge, applied_at):
        judge.setdefault(PENDING, []).append(list(applied_at))
        _mark(judge, origin)
        return Outcome.PENDING
    tallies = _tallies(entity, contribution)
    for value, kind in state.subordinates():
        if _took(value, applied_at) and not _taken(value, origin):
            _add(value, tallies[kind], -1)
            _mark(value, origin, subordinate=True)
    _add(judge, tallies["lifetime"], -1)
    _mark(judge, origin)
    return Outcome.RETRACTED


def member_counts(member: StateValue) -> tuple[int, int]:
    """(statements, completions) of one member value."""
    return member.get("statements", 0), member.get("completions", 0)


def expired(bucket: StateValue, now_ms: int, retention_ms: int) -> bool:
    """Whether a bucket may be purged: the newest ``stored`` time it saw is older than the
    retention (event times play no part, so a replay of old history is kept)."""
    stored_max = bucket.get(STORED_MAX)
    return stored_max is None or now_ms - stored_max > retention_ms


def counts_in(
    value: StateValue,
    judge: StateValue,
    applied_at: Origin,
    retracted_at: Origin | None,
) -> bool:
    """Whether ``value`` (its entity's lifetime is ``judge``) counts the statement applied at
    ``applied_at`` and retracted at ``retracted_at``, if it was: the value took the application
    and the judge did not take the retraction (which it takes, pending or not, before any
    value gives the statement back). Exact because operations from one input partition reach
    a value in origin order."""
    took = _taken if value is judge else _took
    return took(value, applied_at) and (retracted_at is None or not _taken(judge, retracted_at))


# --- Origins ------------------------------------------------------------------------------------


def _pending_retraction(pending: list[list[int]], applied_at: Origin) -> bool:
    """Remove the retraction waiting for ``applied_at``; whether there was one."""
    for position, (partition, offset) in enumerate(pending):
        if (partition, offset) == applied_at:
            del pending[position]
            return True
    return False


def _taken(value: StateValue, origin: Origin) -> bool:
    """Whether ``value`` took the operation at ``origin``, or a later one of its partition."""
    marks = value.get(MARKS)
    return marks is not None and marks.get(str(origin[0]), -1) >= origin[1]


def _took(value: StateValue, origin: Origin) -> bool:
    """Whether this very incarnation of a subordinate value took the operation at ``origin``:
    one purged and made anew by later operations has first origins after it."""
    first = value.get(FIRST)
    if first is None or first.get(str(origin[0]), origin[1] + 1) > origin[1]:
        return False
    return _taken(value, origin)


def _mark(value: StateValue, origin: Origin, *, subordinate: bool = False) -> None:
    partition = str(origin[0])
    marks = value.setdefault(MARKS, {})
    if origin[1] > marks.get(partition, -1):
        marks[partition] = origin[1]
    if subordinate:
        value.setdefault(FIRST, {}).setdefault(partition, origin[1])


def _record_bucket(value: StateValue, kind: str, contribution: Contribution) -> None:
    """Buckets remember the newest stored time they saw (retention) and their UTC day."""
    if kind != "bucket":
        return
    stored_ms = contribution.stored_ms
    if stored_ms > value.get(STORED_MAX, -1):
        value[STORED_MAX] = stored_ms
    value.setdefault(DAY, utc_day(contribution.event_ms))


# --- Tallies: what a statement adds, per entity and value ---------------------------------------


@dataclass(slots=True)
class Tally:
    counters: list[tuple[str, int]] = field(default_factory=list)
    items: list[tuple[str, str]] = field(default_factory=list)
    score: float | None = None  # into the exact sum (score_sum) and count (scores)
    tops: list[tuple[str, extremes.Direction, float]] = field(default_factory=list)


SCORE_SUM = "score_sum"
SCORE_COUNT = "scores"


def _tallies(entity: Entity, c: Contribution) -> dict[str, Tally]:
    """What the statement adds to each kind of value of ``entity``."""
    counters = [("statements", 1)]
    if c.duration_ms:
        counters.append(("duration_ms", c.duration_ms))
    if entity is Entity.LEARNER:
        if c.success is not None:
            counters.append(("success" if c.success else "failure", 1))
        tops: list[tuple[str, extremes.Direction, float]] = [("latest", "highest", c.event_ms)]
        lifetime = Tally(counters, [("verbs", c.verb)], c.score, tops)
        in_buckets = list(lifetime.items)
        if c.activity is not None:
            in_buckets.append(("activities", c.activity))
            if c.completes:
                in_buckets.append(("completed_activities", c.activity))
        bucket = Tally(counters, in_buckets, c.score, tops)
        return {"lifetime": lifetime, "bucket": bucket, "member": Tally([("statements", 1)])}
    if entity is Entity.LEARNER_ACTIVITY:
        if c.completes:
            counters.append(("completions", 1))
        tops = [("earliest", "lowest", c.event_ms), ("latest", "highest", c.event_ms)]
        if c.progress is not None:
            tops.append(("progress", "highest", c.progress))
        if c.score is not None:
            tops.append(("best_score", "highest", c.score))
        pair = Tally(counters, tops=tops)
        return {"lifetime": pair, "bucket": pair}
    lifetime = Tally(counters, score=c.score)
    learners = [("learners", c.learner)]
    if c.completes:
        learners.append(("completed_learners", c.learner))
    member = [("statements", 1), *([("completions", 1)] if c.completes else [])]
    return {
        "lifetime": lifetime,
        "bucket": Tally(counters, learners, c.score),
        "member": Tally(member),
    }


def _add(value: StateValue, tally: Tally, sign: int) -> None:
    """Add (``sign`` 1) or take back (-1) what a statement counts in one value."""
    for name, amount in tally.counters:
        _set_count(value, name, value.get(name, 0) + sign * amount)
    for name, item in tally.items:
        multiset = value.get(name)
        if multiset is None:
            multiset = value[name] = {}
        _set_count(multiset, item, multiset.get(item, 0) + sign)
        if not multiset:
            del value[name]
    if tally.score is not None:
        total = _dyadic_sum(_stored_sum(value), tally.score, sign)
        _set_count(value, SCORE_COUNT, value.get(SCORE_COUNT, 0) + sign)
        if SCORE_COUNT in value:
            value[SCORE_SUM] = f"{total[0]}/{total[1]}"
        else:  # no score left: the exact sum is 0 again
            value.pop(SCORE_SUM, None)
    for name, direction, number in tally.tops:
        top = value.get(name)
        if top is None:
            top = value[name] = []
        if sign > 0:
            extremes.insert(top, direction, number)
        else:
            extremes.remove(top, number)
        if not top or top == [None]:
            del value[name]


def _set_count(holder: dict[str, Any], name: str, total: int) -> None:
    if total:
        holder[name] = total
    else:
        holder.pop(name, None)


# An exact sum of floats: mantissa / 2**exponent (every float is such a dyadic rational), kept
# in integers so that adding a score is a few integer operations, never a float rounding.
Dyadic = tuple[int, int]


def _dyadic_sum(total: Dyadic, score: float, sign: int) -> Dyadic:
    numerator, denominator = score.as_integer_ratio()  # denominator: a power of two
    return _dyadic_add(total, (sign * numerator, denominator.bit_length() - 1))


def _dyadic_add(a: Dyadic, b: Dyadic) -> Dyadic:
    exponent = max(a[1], b[1])
    mantissa = (a[0] << (exponent - a[1])) + (b[0] << (exponent - b[1]))
    if not mantissa:
        return 0, 0
    shift = min((mantissa & -mantissa).bit_length() - 1, exponent)  # drop trailing zero bits
    return mantissa >> shift, exponent - shift


def _stored_sum(value: Mapping[str, Any]) -> Dyadic:
    text = value.get(SCORE_SUM)
    if text is None:
        return 0, 0
    mantissa, _, exponent = text.partition("/")
    return int(mantissa), int(exponent)


def score_sum(value: Mapping[str, Any]) -> Fraction:
    """The exact sum of the scores a value holds (``mantissa/exponent``: m / 2**e)."""
    mantissa, exponent = _stored_sum(value)
    return Fraction(mantissa, 1 << exponent)


# --- Recounts -----------------------------------------------------------------------------------

# Which tops each entity keeps, and how to read each from a contribution.
_TOP_READERS: dict[str, tuple[extremes.Direction, Callable[[Contribution], float | None]]] = {
    "latest": ("highest", lambda c: c.event_ms),
    "earliest": ("lowest", lambda c: c.event_ms),
    "progress": ("highest", lambda c: c.progress),
    "best_score": ("highest", lambda c: c.score),
}


def stale_tops(value: StateValue) -> list[str]:
    """The tops of a value whose extreme must be recounted from its statements."""
    return [name for name in _TOP_READERS if name in value and extremes.stale(value[name])]


def refill(value: StateValue, name: str, counted: Iterable[Contribution]) -> None:
    """Recount top ``name`` from every statement the value counts (``counted``, see
    ``counts_in``)."""
    direction, read = _TOP_READERS[name]
    top = extremes.rebuilt(direction, [n for c in counted if (n := read(c)) is not None])
    if top:
        value[name] = top
    else:
        value.pop(name, None)
