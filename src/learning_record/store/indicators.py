"""The indicator view: state values the worker mirrors from its tables, read by the API.

One hash per entity. Field ``all`` holds the lifetime value, ``m:<minute id>`` and
``h:<hour id>`` the buckets; a window is read with one HMGET of its bucket fields, so serving an
indicator never touches Kafka nor scans statements. Distinct counts of a lifetime are the sizes
of member hashes (HLEN): an activity's learners and completers, a learner's days, activities
and completed activities, each kept by the worker from member (or pair) values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson

from learning_record.domain.indicators import Entity, Granularity, Window, buckets_for_window
from learning_record.domain.indicators.batch import HOUR, LIFETIME, MEMBER, MINUTE, ValueKey
from learning_record.domain.indicators.state import StateValue, member_counts
from learning_record.store import keys
from learning_record.store.connection import RedisClient, RedisPipeline
from learning_record.store.scan import unlink_matching

LIFETIME_FIELD = "all"
AGENT_FIELD = "agent"

# Member hashes: (entity, name) -> the indicator their HLEN answers.
LEARNER_MEMBERS = {
    "days": "active_days",
    "activities": "activities",
    "completed": "completed_activities",
}
ACTIVITY_MEMBERS = {"learners": "learners", "completed": "completed_learners"}


def activity_ref(activity_id: str) -> str:
    """A short opaque key for an activity IRI, which may be long."""
    return hashlib.sha256(activity_id.encode()).hexdigest()[:32]


def pair_ref(learner_id: str, activity_id: str) -> str:
    return f"{learner_id}:{activity_ref(activity_id)}"


def bucket_field(granularity: Granularity, bucket: int) -> str:
    return f"{'m' if granularity is Granularity.MINUTE else 'h'}:{bucket}"


# Hash fields read per round trip by read_values: well under a millisecond of Redis time, and a
# few milliseconds of the event loop to pack the command and decode the values (20,000 took
# about 18 ms on a busy 2-core machine, the values' JSON decoding most of it).
FIELDS_PER_ROUND_TRIP = 5_000


def window_fields(window: Window, as_of_ms: int) -> list[str]:
    if window is Window.ALL:
        return [LIFETIME_FIELD]
    return [bucket_field(window.granularity, b) for b in buckets_for_window(window, as_of_ms)]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a state value is mirrored: a field of its entity's hash."""

    tenant: str
    entity: Entity
    ref: str
    field: str


def place_of(key: ValueKey) -> Place:
    """The hash field of a lifetime or bucket value (member values go to member hashes)."""
    if key.entity is Entity.ACTIVITY:
        ref = activity_ref(key.subject)
    elif key.entity is Entity.LEARNER:
        ref = key.subject  # a learner id
    else:
        ref = pair_ref(key.subject, key.inner)
    if key.kind == LIFETIME:
        field = LIFETIME_FIELD
    elif key.kind == MINUTE:
        field = bucket_field(Granularity.MINUTE, key.bucket)
    elif key.kind == HOUR:
        field = bucket_field(Granularity.HOUR, key.bucket)
    else:
        field = key.inner or str(key.bucket)  # a member: learner id, or day
    return Place(key.tenant, key.entity, ref, field)


async def forget_mirror(redis: RedisClient, tenant: str = "*") -> int:
    """Delete the indicator mirror of one tenant (or all, ``*``); the number of keys deleted."""
    return await unlink_matching(redis, keys.indicator_mirror_patterns(tenant))


def queue_batch(pipe: RedisPipeline, values: Sequence[tuple[ValueKey, StateValue, bytes]]) -> None:
    """Mirror a batch's values (each with its JSON, serialised once for the changelog and here):
    whole values overwritten (idempotent: a replay writes the same bytes again), one HSET per
    entity, and the member hashes' counts."""
    fields: dict[tuple[str, Entity, str], dict[str, bytes]] = {}
    for key, value, serialised in values:
        place = place_of(key)
        if key.kind == MEMBER:
            which = ("learners", "completed") if key.entity is Entity.ACTIVITY else ("days", None)
            _queue_member(pipe, place, which, member_counts(value))
            continue
        fields.setdefault((place.tenant, place.entity, place.ref), {})[place.field] = serialised
        if key.entity is Entity.LEARNER_ACTIVITY and key.kind == LIFETIME:
            # A pair's lifetime is its learner's member value for the activity.
            learner = Place(key.tenant, Entity.LEARNER, key.subject, activity_ref(key.inner))
            _queue_member(pipe, learner, ("activities", "completed"), member_counts(value))
    for (tenant, entity, ref), mapping in fields.items():
        pipe.hset(keys.indicators(tenant, entity.value, ref), mapping=cast(Any, mapping))


LearnerAgents = Mapping[tuple[str, str], Mapping[str, Any]]


def queue_agents(pipe: RedisPipeline, agents: LearnerAgents) -> None:
    """Each learner's identifying properties (by tenant and learner id) beside their
    indicators: what a query by learner id shows."""
    for (tenant, learner_id), agent in agents.items():
        pipe.hset(keys.indicators(tenant, "learner", learner_id), AGENT_FIELD, orjson.dumps(agent))


async def write_agents(redis: RedisClient, agents: LearnerAgents) -> None:
    if agents:
        async with redis.pipeline(transaction=False) as pipe:
            queue_agents(pipe, agents)
            await pipe.execute()


def _queue_member(
    pipe: RedisPipeline, place: Place, which: tuple[str, str | None], counts: tuple[int, int]
) -> None:
    """A member's counts; one at zero leaves its hash, so that HLEN counts the distinct ones."""
    for name, count in zip(which, counts, strict=True):
        if name is None:
            continue
        key = keys.indicator_members(place.tenant, place.entity.value, place.ref, name)
        if count > 0:
            pipe.hset(key, place.field, count)
        else:
            pipe.hdel(key, place.field)


def queue_removal(pipe: RedisPipeline, key: ValueKey) -> None:
    """Forget a purged bucket."""
    place = place_of(key)
    pipe.hdel(keys.indicators(place.tenant, place.entity.value, place.ref), place.field)


@dataclass(frozen=True, slots=True)
class StoredIndicators:
    """What the view holds of one entity for the fields asked."""

    values: list[dict[str, Any]]
    agent: dict[str, Any] | None
    members: dict[str, int] | None  # lifetime distinct counts, for learners and activities


async def read_values(
    redis: RedisClient,
    requests: Sequence[tuple[str, Entity, str]],
    fields: Sequence[str],
) -> list[StoredIndicators]:
    """For each (tenant, entity, ref): its present values among ``fields``, its agent, and when
    the lifetime is asked, its distinct counts. Read in round trips of at most
    ``FIELDS_PER_ROUND_TRIP`` fields, so that a large query holds neither Redis nor the event
    loop for long at a time."""
    per_trip = max(1, FIELDS_PER_ROUND_TRIP // (len(fields) + 1))
    answers: list[StoredIndicators] = []
    for start in range(0, len(requests), per_trip):
        answers += await _read_some(redis, requests[start : start + per_trip], fields)
    return answers


async def _read_some(
    redis: RedisClient,
    requests: Sequence[tuple[str, Entity, str]],
    fields: Sequence[str],
) -> list[StoredIndicators]:
    lifetime = LIFETIME_FIELD in fields
    async with redis.pipeline(transaction=False) as pipe:
        for tenant, entity, ref in requests:
            pipe.hmget(keys.indicators(tenant, entity.value, ref), [*fields, AGENT_FIELD])
            for name in _members_of(entity) if lifetime else {}:
                pipe.hlen(keys.indicator_members(tenant, entity.value, ref, name))
        replies = iter(await pipe.execute())
    answers = []
    for _, entity, _ in requests:
        *values, agent = next(replies)
        members = None
        if lifetime and _members_of(entity):
            members = {indicator: int(next(replies)) for indicator in _members_of(entity).values()}
        answers.append(
            StoredIndicators(
                [orjson.loads(v) for v in values if v is not None],
                orjson.loads(agent) if agent is not None else None,
                members,
            )
        )
    return answers


def _members_of(entity: Entity) -> dict[str, str]:
    if entity is Entity.LEARNER:
        return LEARNER_MEMBERS
    if entity is Entity.ACTIVITY:
        return ACTIVITY_MEMBERS
    return {}
