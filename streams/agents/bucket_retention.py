"""Purge indicator buckets past their retention, judged on the newest stored time each saw.

Only entries of partitions this worker actively owns are purged: standby copies follow the
changelog, which carries the deletions.
"""

from __future__ import annotations

import time

from faust.types import TP

from serving import indicators as view
from streams.app import app, settings
from streams.indicator_state import expired_bucket, slot_of_key
from streams.partitioning import KeyPartitionedTable, partition_of, routing_key_of
from streams.redis_client import redis
from streams.tables import activity_state, learner_state
from streams.topics import activity_events_topic, learner_events_topic

_RETENTION_S = {
    "minute": settings.worker.minute_bucket_retention_s,
    "hour": settings.worker.hour_bucket_retention_s,
}


@app.timer(interval=60.0)  # type: ignore[untyped-decorator]  # Faust ships it untyped
async def purge_expired_buckets() -> None:
    now_ms = time.time_ns() // 1_000_000
    actives = app.assignor.assigned_actives()
    for table, topic in (
        (learner_state, learner_events_topic.get_topic_name()),
        (activity_state, activity_events_topic.get_topic_name()),
    ):
        await _purge(table, topic, actives, now_ms)


async def _purge(table: KeyPartitionedTable, topic: str, actives: set[TP], now_ms: int) -> None:
    expired_keys = [
        key
        for key, value in list(table.items())
        if TP(topic, partition_of(routing_key_of(key))) in actives
        and expired_bucket(key, value, now_ms, _RETENTION_S)
    ]
    if not expired_keys:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for key in expired_keys:
            del table[key]
            slot = slot_of_key(key)
            view.queue_removal(pipe, slot.tenant, slot.entity, slot.ref, slot.field)
        await pipe.execute()
