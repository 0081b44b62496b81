"""Purge indicator buckets past their retention, judged on the newest stored time each saw.

Only entries of partitions this worker actively owns are purged: standby copies follow the
changelog, which carries the deletions.
"""

from __future__ import annotations

from functools import partial

import orjson
from faust.types import TP

from learning_record.domain.indicators import expired
from learning_record.domain.indicators.table_keys import value_key_of
from learning_record.platform.clock import now_ms
from learning_record.store import indicators as view
from learning_record.stream.app import app, settings
from learning_record.stream.partitioning import (
    KeyPartitionedTable,
    partition_of,
    routing_key_of,
)
from learning_record.stream.redis_client import redis, with_retries
from learning_record.stream.tables import activity_indicators, learner_indicators
from learning_record.stream.topics import activity_ops_topic, learner_ops_topic

_RETENTION_S = {
    "minute": settings.worker.minute_bucket_retention_s,
    "hour": settings.worker.hour_bucket_retention_s,
}


@app.timer(interval=60.0)  # type: ignore[untyped-decorator]  # Faust ships it untyped
async def purge_expired_buckets() -> None:
    purge_at_ms = now_ms()
    actives = app.assignor.assigned_actives()
    for table, topic in (
        (learner_indicators, learner_ops_topic.get_topic_name()),
        (activity_indicators, activity_ops_topic.get_topic_name()),
    ):
        await _purge(table, topic, actives, purge_at_ms)


async def _purge(table: KeyPartitionedTable, topic: str, actives: set[TP], now_ms: int) -> None:
    expired_keys = [
        key
        for key, value in list(table.items())
        if (retention_s := _RETENTION_S.get(value_key_of(key).kind)) is not None
        and TP(topic, partition_of(routing_key_of(key))) in actives
        and expired(orjson.loads(value), now_ms, retention_s * 1000)
    ]
    if not expired_keys:
        return
    # The mirror first, until Redis takes it: the table keeps the keys until then, so a purge
    # that fails leaves both as they were.
    await with_retries(partial(_remove_from_mirror, expired_keys), "bucket purge")
    for key in expired_keys:
        del table[key]


async def _remove_from_mirror(keys: list[str]) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            view.queue_removal(pipe, value_key_of(key))
        await pipe.execute()
