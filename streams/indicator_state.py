"""One batch of indicator operations against a table: every value it touches is loaded once,
changed in place by the domain's apply/retract, written back once and mirrored to Redis in one
pipeline."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, Literal, cast

import orjson
from faust.types import StreamT
from redis.asyncio.client import Pipeline

from learning_domain.identity import learner_id_of_ifi
from learning_domain.indicators import (
    Contribution,
    Entity,
    EntityState,
    Granularity,
    StateValue,
    apply,
    bucket_ids,
    expired,
    retract,
)
from learning_domain.indicators.state import Position, member_counts
from serving import indicators as view
from streams.batching import batches
from streams.partitioning import ROUTING_END, KeyPartitionedTable
from streams.redis_client import redis, with_retries

log = logging.getLogger(__name__)

Operation = Literal["apply", "retract"]


@dataclass(frozen=True, slots=True)
class IndicatorOp:
    """What a learner or activity event asks: count a statement, or take it back (voided)."""

    operation: Operation
    tenant: str
    contribution: Contribution
    agent: Mapping[str, Any] | None = None  # learners only: the IFI properties, for the API

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "op": self.operation,
                "tenant": self.tenant,
                "agent": self.agent,
                "contribution": self.contribution.to_record(),
            }
        )

    @classmethod
    def decode(cls, value: bytes) -> IndicatorOp:
        message = orjson.loads(value)
        return cls(
            message["op"],
            message["tenant"],
            Contribution.from_record(message["contribution"]),
            message.get("agent"),
        )


# The kind of an activity's member values (per learner), beside all, minute and hour.
MEMBER = "member"


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one state value lives in the Redis indicator view."""

    tenant: str
    entity: Entity
    ref: str
    field: str
    is_member: bool = False  # an activity's member value: its learner counts, not a field


def table_key(routing_key: bytes, entity: Entity, inner: str, kind: str, bucket: int) -> bytes:
    """``<routing key>`` ROUTING_END ``<entity>|<inner key>|<kind>|<bucket>``; ``inner`` is the
    activity of a learner-activity pair, else empty; ``kind`` is all, minute or hour."""
    return routing_key + ROUTING_END + f"{entity.value}|{inner}|{kind}|{bucket}".encode()


@lru_cache(maxsize=262_144)  # the same values change batch after batch; keys are short
def slot_of_key(key: bytes) -> Slot:
    """The Redis place of a table entry, from its key alone."""
    routing, _, held = key.partition(ROUTING_END)
    tenant, _, subject = routing.decode().partition("|")  # tenants never hold "|"
    entity_text, _, rest = held.decode().partition("|")
    inner, kind, bucket = rest.rsplit("|", 2)
    entity = Entity(entity_text)
    if entity is Entity.ACTIVITY:
        ref = view.activity_ref(subject)
    elif entity is Entity.LEARNER:
        ref = learner_id_of_ifi(subject)
    else:
        ref = view.pair_ref(learner_id_of_ifi(subject), inner)
    if kind == MEMBER:
        field = inner  # the learner id of an activity's member value
    elif kind == "all":
        field = view.LIFETIME_FIELD
    else:
        field = view.bucket_field(Granularity(kind), int(bucket))
    return Slot(tenant, entity, ref, field, is_member=kind == MEMBER)


@dataclass
class BatchState:
    table: KeyPartitionedTable
    values: dict[bytes, StateValue] = field(default_factory=dict)
    agents: dict[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    applied: int = 0
    skipped: int = 0  # redelivered, duplicate, or already voided: counted once only

    def run(
        self,
        routing_key: bytes,
        entities: tuple[Entity, ...],
        op: IndicatorOp,
        position: Position,
    ) -> None:
        contribution = op.contribution
        for entity in entities:
            if entity is not Entity.LEARNER and contribution.activity is None:
                continue
            state = self._state(routing_key, entity, op)
            change = apply if op.operation == "apply" else retract
            if change(entity, state, contribution, position):
                self.applied += 1
            else:
                self.skipped += 1
        if op.agent is not None:
            self.agents[(op.tenant, contribution.learner_id)] = op.agent

    def write_back(self) -> None:
        for key, value in self.values.items():
            self.table[key] = value

    def mirror(self, pipe: Pipeline) -> None:
        by_entity: dict[tuple[str, Entity, str], dict[str, bytes]] = {}
        for key, value in self.values.items():
            slot = slot_of_key(key)
            if slot.is_member:
                statements, completions = member_counts(value)
                view.queue_member(pipe, slot.tenant, slot.ref, slot.field, statements, completions)
                continue
            by_entity.setdefault((slot.tenant, slot.entity, slot.ref), {})[slot.field] = (
                orjson.dumps(value)
            )
        for (tenant, learner_id), agent in self.agents.items():
            by_entity.setdefault((tenant, Entity.LEARNER, learner_id), {})[view.AGENT_FIELD] = (
                orjson.dumps(agent)
            )
        for (tenant, entity, ref), fields in by_entity.items():
            view.queue_values(pipe, tenant, entity, ref, fields)

    def _state(self, routing_key: bytes, entity: Entity, op: IndicatorOp) -> EntityState:
        contribution = op.contribution
        inner = contribution.activity or "" if entity is Entity.LEARNER_ACTIVITY else ""
        minute, hour = bucket_ids(contribution.event_ms)
        return EntityState(
            lifetime=self._load(table_key(routing_key, entity, inner, "all", 0)),
            minute=self._load(table_key(routing_key, entity, inner, Granularity.MINUTE, minute)),
            hour=self._load(table_key(routing_key, entity, inner, Granularity.HOUR, hour)),
            member=self._load(table_key(routing_key, entity, contribution.learner_id, MEMBER, 0))
            if entity is Entity.ACTIVITY
            else None,
        )

    def _load(self, key: bytes) -> StateValue:
        value = self.values.get(key)
        if value is None:
            value = self.table[key]
            self.values[key] = value
        return value


def expired_bucket(
    table_key: bytes, value: StateValue, now_ms: int, retention_s: Mapping[str, int]
) -> bool:
    """Whether a bucket entry may go: lifetime values stay; buckets expire by stored time."""
    kind = table_key.rsplit(b"|", 2)[1].decode()
    if kind not in retention_s:
        return False
    return expired(value, now_ms, retention_s[kind] * 1000)


async def keep_indicators(
    stream: StreamT[bytes], table: KeyPartitionedTable, entities: tuple[Entity, ...]
) -> None:
    """The body of an indicator agent: each batch applies its operations to ``table`` (each key
    written once), then mirrors every changed value to Redis in one pipeline."""
    async for events in batches(stream):
        state = BatchState(table)
        for event in events:
            position = (event.message.partition, event.message.offset)
            state.run(cast(bytes, event.key), entities, IndicatorOp.decode(event.value), position)
        state.write_back()
        await with_retries(partial(_mirror, state), "indicators")
        log.debug("indicator_batch applied=%d skipped=%d", state.applied, state.skipped)
        if state.skipped:
            log.info("indicator_skips skipped=%d", state.skipped)


async def _mirror(state: BatchState) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        state.mirror(pipe)
        await pipe.execute()
