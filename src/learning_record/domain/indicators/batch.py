"""One batch of indicator operations against the state of one side (learners or activities):
every value it touches is loaded once, changed in place by ``apply``/``retract``, and handed back
once, subordinates before lifetimes (the order the changelog needs, see ``state``).

Storage is someone else's: values are named by ``ValueKey`` and loaded through a function, so
the worker runs this over its Faust tables and the tests over a dict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.indicators.contributions import Contribution, contribution_of
from learning_record.domain.indicators.operations import IndicatorOp, RoutedStatement
from learning_record.domain.indicators.state import (
    Entity,
    EntityState,
    Outcome,
    StateValue,
    apply,
    counts_in,
    refill,
    retract,
    stale_tops,
)
from learning_record.domain.indicators.windows import bucket_ids, utc_day

LIFETIME = "all"
MINUTE = "minute"
HOUR = "hour"
MEMBER = "member"

LEARNER_SIDE = (Entity.LEARNER, Entity.LEARNER_ACTIVITY)
ACTIVITY_SIDE = (Entity.ACTIVITY,)


class ValueKey(NamedTuple):
    """Which state value: of whom, and which of their values.

    ``subject`` is the learner id (learner and pair values) or the activity id; with the
    tenant it is the routing key, so every value of a subject lives in one partition.
    ``inner`` is the pair's activity id, or the learner id of an activity's member value.
    ``bucket`` is the minute or hour id of a bucket, the day of a learner's member value.
    """

    tenant: str
    entity: Entity
    subject: str
    inner: str
    kind: str  # LIFETIME, MINUTE, HOUR or MEMBER
    bucket: int

    @property
    def routing_key(self) -> str:
        return f"{self.tenant}|{self.subject}"


def value_keys(
    entity: Entity, op: IndicatorOp
) -> tuple[ValueKey, ValueKey, ValueKey, ValueKey | None]:
    """The keys of the lifetime, minute bucket, hour bucket and member value an operation
    changes for ``entity``."""
    c = op.contribution
    minute, hour = bucket_ids(c.event_ms)
    if entity is Entity.ACTIVITY:
        subject, inner = str(c.activity), ""
    else:
        subject = c.learner
        inner = str(c.activity) if entity is Entity.LEARNER_ACTIVITY else ""

    def key(kind: str, bucket: int, inner_key: str = inner) -> ValueKey:
        return ValueKey(op.tenant, entity, subject, inner_key, kind, bucket)

    member: ValueKey | None = None
    if entity is Entity.ACTIVITY:
        member = key(MEMBER, 0, c.learner)
    elif entity is Entity.LEARNER:
        member = key(MEMBER, utc_day(c.event_ms))
    return key(LIFETIME, 0), key(MINUTE, minute), key(HOUR, hour), member


@dataclass
class IndicatorBatch:
    """Apply operations to the values ``load`` gives, each loaded once."""

    load: Callable[[ValueKey], StateValue]
    values: dict[ValueKey, StateValue] = field(default_factory=dict)
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    def run(self, op: IndicatorOp, entities: tuple[Entity, ...]) -> None:
        contribution = op.contribution
        for entity in entities:
            if entity is not Entity.LEARNER and contribution.activity is None:
                continue
            lifetime, minute, hour, member = value_keys(entity, op)
            state = EntityState(
                self._value(lifetime),
                self._value(minute),
                self._value(hour),
                self._value(member) if member is not None else None,
            )
            if op.kind == "apply":
                outcome = apply(entity, state, contribution, op.origin)
            else:
                assert op.applied_at is not None, "a retraction names the application it undoes"
                outcome = retract(entity, state, contribution, op.origin, op.applied_at)
            self.outcomes[outcome] += 1

    def stale(self) -> Iterator[tuple[ValueKey, StateValue, list[str]]]:
        """Values whose extremes must be recounted before they are written."""
        for key, value in self.values.items():
            names = stale_tops(value)
            if names:
                yield key, value, names

    def written(self) -> list[tuple[ValueKey, StateValue]]:
        """Every value touched, subordinates first: a lifetime is written after the values it
        judges, so that a crash never keeps a lifetime's change and loses theirs."""
        items = self.values.items()
        return [item for item in items if item[0].kind != LIFETIME] + [
            item for item in items if item[0].kind == LIFETIME
        ]

    async def recount(
        self,
        routed_statements: Callable[[str, str], AsyncIterator[RoutedStatement]],
        pseudonymisers: Callable[[str], Pseudonymise],
    ) -> int:
        """Refill the extremes that ran out (``extremes.stale``), from every statement the view
        routed for the learner (``routed_statements(tenant, learner id)``) that the value
        counts; how many values were recounted. Rare: see ``extremes``. ``pseudonymisers``
        gives a tenant's (``data_keys.pseudonymiser``)."""
        recounted = 0
        for key, value, names in list(self.stale()):
            judge = self.values[key._replace(kind=LIFETIME, bucket=0)]
            learner_id = pseudonymisers(key.tenant)
            counted = [
                contribution
                async for routed in routed_statements(key.tenant, key.subject)
                if counts_in(value, judge, routed.applied_at, routed.retracted_at)
                and (contribution := contribution_of(routed.document, learner_id)) is not None
                and _belongs_to(key, contribution)
            ]
            for name in names:
                refill(value, name, counted)
            recounted += 1
        return recounted

    def _value(self, key: ValueKey) -> StateValue:
        value = self.values.get(key)
        if value is None:
            value = self.load(key)
            self.values[key] = value
        return value


def _belongs_to(key: ValueKey, contribution: Contribution) -> bool:
    """Whether a statement the learner's index holds is one of the value's own."""
    if contribution.learner != key.subject:  # the learner as an Agent object, not as actor
        return False
    if key.entity is Entity.LEARNER_ACTIVITY and contribution.activity != key.inner:
        return False
    minute, hour = bucket_ids(contribution.event_ms)
    if key.kind == MINUTE:
        return minute == key.bucket
    if key.kind == HOUR:
        return hour == key.bucket
    return True
