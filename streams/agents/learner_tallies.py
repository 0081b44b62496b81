"""Keep each learner's statement count in a changelog-backed table and mirror it to Redis.

Each table key is written once per batch, and the Redis mirror is one pipeline per batch.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any, cast

import orjson
from faust.types import StreamT
from redis.asyncio import Redis

from learning_domain.applied_positions import SourcePosition, already_applied, mark_applied
from serving.learners import queue_statement_count
from streams.app import app
from streams.batching import batches
from streams.redis_client import redis, with_retries
from streams.tables import learner_tallies
from streams.topics import learner_events_topic


def _apply(tally: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    marks = dict(tally.get("applied", {}))
    count = int(tally.get("statements", 0))
    for event in events:
        position = SourcePosition(*event["source"])
        if already_applied(marks, position):
            continue  # redelivered after a crash: counted before
        count += 1
        mark_applied(marks, position)
    return {"statements": count, "applied": marks}


async def _mirror(redis: Redis, changed: dict[tuple[str, str], int]) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        for (tenant, learner), count in changed.items():
            queue_statement_count(pipe, tenant, learner, count)
        await pipe.execute()


@app.agent(learner_events_topic)
async def count_learner_statements(stream: StreamT[bytes]) -> None:
    async for events in batches(stream):
        by_key: defaultdict[bytes, list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            by_key[cast(bytes, event.key)].append(orjson.loads(event.value))
        changed: dict[tuple[str, str], int] = {}
        for key, learner_events in by_key.items():
            tally = _apply(learner_tallies[key], learner_events)
            learner_tallies[key] = tally
            first = learner_events[0]
            changed[(first["tenant"], first["learner_id"])] = tally["statements"]
        await with_retries(partial(_mirror, redis, changed), "learner tallies")
