"""The indicator view: state values the worker mirrors from its tables, read by the API.

One hash per entity. Field ``all`` holds the lifetime value, ``m:<minute id>`` and
``h:<hour id>`` the buckets; a window is read with one HMGET of its bucket fields, so serving an
indicator never touches Kafka nor scans statements.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from learning_domain.indicators import Entity, Granularity, Window, buckets_for_window
from serving import keys

LIFETIME_FIELD = "all"
AGENT_FIELD = "agent"


def activity_ref(activity_id: str) -> str:
    """A short opaque key for an activity IRI, which may be long."""
    return hashlib.sha256(activity_id.encode()).hexdigest()[:32]


def pair_ref(learner_id: str, activity_id: str) -> str:
    return f"{learner_id}:{activity_ref(activity_id)}"


def bucket_field(granularity: Granularity, bucket: int) -> str:
    return f"{'m' if granularity is Granularity.MINUTE else 'h'}:{bucket}"


def window_fields(window: Window, as_of_ms: int) -> list[str]:
    if window is Window.ALL:
        return [LIFETIME_FIELD]
    return [bucket_field(window.granularity, b) for b in buckets_for_window(window, as_of_ms)]


def queue_values(
    pipe: Pipeline, tenant: str, entity: Entity, ref: str, fields: Mapping[str, bytes]
) -> None:
    """Idempotent overwrites of whole values: a replay writes the same bytes again."""
    pipe.hset(keys.indicators(tenant, entity.value, ref), mapping=cast(Mapping[Any, bytes], fields))


def queue_member(
    pipe: Pipeline, tenant: str, ref: str, learner_id: str, statements: int, completions: int
) -> None:
    """An activity's member counts of one learner; a learner at zero leaves the hash, so that
    HLEN counts the activity's distinct learners (completers)."""
    for which, count in (("learners", statements), ("completed", completions)):
        key = keys.indicator_members(tenant, ref, which)
        if count > 0:
            pipe.hset(key, learner_id, count)
        else:
            pipe.hdel(key, learner_id)


def queue_removal(pipe: Pipeline, tenant: str, entity: Entity, ref: str, field: str) -> None:
    pipe.hdel(keys.indicators(tenant, entity.value, ref), field)


async def read_values(
    redis: Redis,
    requests: Sequence[tuple[str, Entity, str]],
    fields: Sequence[str],
) -> list[tuple[list[dict[str, Any]], dict[str, Any] | None, tuple[int, int] | None]]:
    """For each (tenant, entity, ref): its present values among ``fields``, its agent, and for
    an activity read for its lifetime, its member counts (learners, completed learners)."""
    lifetime = LIFETIME_FIELD in fields
    async with redis.pipeline(transaction=False) as pipe:
        for tenant, entity, ref in requests:
            pipe.hmget(keys.indicators(tenant, entity.value, ref), [*fields, AGENT_FIELD])
            if lifetime and entity is Entity.ACTIVITY:
                pipe.hlen(keys.indicator_members(tenant, ref, "learners"))
                pipe.hlen(keys.indicator_members(tenant, ref, "completed"))
        replies = iter(await pipe.execute())
    answers = []
    for _, entity, _ in requests:
        *values, agent = next(replies)
        members = None
        if lifetime and entity is Entity.ACTIVITY:
            members = (int(next(replies)), int(next(replies)))
        answers.append(
            (
                [orjson.loads(v) for v in values if v is not None],
                orjson.loads(agent) if agent is not None else None,
                members,
            )
        )
    return answers
