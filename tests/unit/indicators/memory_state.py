"""An in-memory stand-in for the indicator tables, and the void routing the worker will do.

It keeps state values in one dict keyed by (entity, entity key, kind, bucket id), applies and
retracts contributions the way an agent will (hour bucket, minute bucket and lifetime of each
entity together), and reads indicators the way the API will (lifetime for ``all``, else the
window's buckets).
"""

import json
from collections.abc import Mapping
from typing import Any

from learning_domain.indicators import (
    Contribution,
    Entity,
    EntityState,
    StateValue,
    Window,
    apply,
    bucket_ids,
    buckets_for_window,
    contribution_of,
    entities_of,
    read_indicators,
    retract,
    voided_target,
)
from learning_domain.indicators.state import member_counts
from learning_domain.indicators.windows import Granularity

# (entity, entity key, "lifetime" | "minute" | "hour", bucket id or 0)
StateKey = tuple[Entity, str, str, int]


def entity_key(entity: Entity, contribution: Contribution) -> str:
    if entity is Entity.LEARNER:
        return contribution.learner
    assert contribution.activity is not None
    if entity is Entity.ACTIVITY:
        return contribution.activity
    return pair_key(contribution.learner, contribution.activity)


def pair_key(learner: str, activity: str) -> str:
    return f"{learner} {activity}"


class MemoryState:
    def __init__(self) -> None:
        self.values: dict[StateKey, StateValue] = {}

    def apply(self, contribution: Contribution) -> None:
        for entity in entities_of(contribution):
            apply(entity, self._state(entity, contribution), contribution)

    def retract(self, contribution: Contribution) -> None:
        for entity in entities_of(contribution):
            retract(entity, self._state(entity, contribution), contribution)

    def read(self, entity: Entity, key: str, window: Window, as_of_ms: int) -> dict[str, Any]:
        if window is Window.ALL:
            keys = [(entity, key, "lifetime", 0)]
        else:
            kind = "minute" if window.granularity is Granularity.MINUTE else "hour"
            keys = [(entity, key, kind, b) for b in buckets_for_window(window, as_of_ms)]
        values = [self.values[k] for k in keys if k in self.values]
        if entity is Entity.ACTIVITY and window is Window.ALL:
            members = [
                member_counts(value)
                for (e, k, kind, _), value in self.values.items()
                if e is entity and k == key and kind.startswith("member:")
            ]
            learners = sum(1 for statements, _ in members if statements > 0)
            completed = sum(1 for _, completions in members if completions > 0)
            return read_indicators(entity, values, (learners, completed))
        return read_indicators(entity, values)

    def round_trip(self) -> None:
        """Serialise every value to JSON and back, as a changelog restore would."""
        self.values = {key: json.loads(json.dumps(value)) for key, value in self.values.items()}

    def _state(self, entity: Entity, contribution: Contribution) -> EntityState:
        key = entity_key(entity, contribution)
        minute, hour = bucket_ids(contribution.event_ms)
        member_key = (entity, key, f"member:{contribution.learner_id}", 0)
        return EntityState(
            lifetime=self.values.setdefault((entity, key, "lifetime", 0), {}),
            minute=self.values.setdefault((entity, key, "minute", minute), {}),
            hour=self.values.setdefault((entity, key, "hour", hour), {}),
            member=self.values.setdefault(member_key, {}) if entity is Entity.ACTIVITY else None,
        )


class Router:
    """Routes statements as the worker will: a void becomes a retraction of its target, and a
    void that arrives before its target is remembered until the target comes."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state
        self.stored: dict[str, Mapping[str, Any]] = {}
        self.pending_voids: set[str] = set()

    def receive(self, document: Mapping[str, Any], *, retract_first: bool = False) -> None:
        """``retract_first`` delivers a remembered void before its target's application, as
        happens when they travel through different partitions."""
        self.stored.setdefault(document["id"], document)
        target_id = voided_target(document)
        if target_id is not None:
            target = self.stored.get(target_id)
            if target is None:
                self.pending_voids.add(target_id)
            elif (voided := contribution_of(target)) is not None:
                self.state.retract(voided)
            return
        contribution = contribution_of(document)
        if contribution is None:
            return
        if document["id"] in self.pending_voids and retract_first:
            self.state.retract(contribution)
        self.state.apply(contribution)
        if document["id"] in self.pending_voids:
            self.state.retract(contribution)
