"""``lr replay``, indicators: rebuild the Redis indicator mirror from the indicator tables'
changelogs, after a Redis loss.

The worker's tables are the indicators' state; Redis only mirrors them. Their changelogs are
compacted and hold each value's latest bytes (a tombstone for a value retention removed, until
the broker drops it), and every value of an entity lives in one partition. So the last record of
each key in its partition is the value the worker last mirrored: writing those back, with the
same ``queue_batch`` as the live path, restores the mirror exactly, without counting a
statement again. The learner's identifying properties, which the live path takes from the
operations, come from the statements replayed just before (``store.indicators.LearnerAgents``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import orjson
from aiokafka.admin import AIOKafkaAdminClient

from learning_record.cli.statement_log import TopicFromStart
from learning_record.domain.indicators import Entity
from learning_record.domain.indicators.batch import ValueKey
from learning_record.domain.indicators.state import StateValue
from learning_record.domain.indicators.table_keys import value_key_of
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import Settings
from learning_record.platform.topics import INDICATOR_TABLES, changelog_topic
from learning_record.store import indicators as view
from learning_record.store.connection import RedisClient

# (tenant, learner id) -> the learner's identifying properties, as the apply operations carry.

# Values per Redis pipeline.
_WRITE_CHUNK = 2_000


@dataclass
class IndicatorReplayReport:
    records: int = 0
    values: int = 0  # restored
    deleted_keys: int = 0
    missing: list[str] = field(default_factory=list)  # changelogs not found: mirror left alone


async def replay_indicators(
    settings: Settings, redis: RedisClient, agents: view.LearnerAgents, tenant: str | None = None
) -> IndicatorReplayReport:
    report = IndicatorReplayReport()
    # Without both changelogs (no worker has run, or another LR_WORKER__APP_ID), the mirror
    # could only be deleted, not rebuilt: it is left as it is.
    topics = [changelog_topic(settings.worker.app_id, table) for table in INDICATOR_TABLES]
    report.missing = await _missing_topics(settings, topics)
    if report.missing:
        return report
    report.deleted_keys = await view.forget_mirror(redis, tenant or "*")
    for table in INDICATOR_TABLES:
        async for latest in _latest_per_partition(settings, table, report):
            values = _restorable(latest, tenant)
            for first in range(0, len(values), _WRITE_CHUNK):
                await _mirror(redis, values[first : first + _WRITE_CHUNK], agents)
            report.values += len(values)
    return report


async def _missing_topics(settings: Settings, topics: list[str]) -> list[str]:
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    return [topic for topic in topics if topic not in existing]


def _restorable(
    latest: Mapping[bytes, bytes | None], tenant: str | None
) -> list[tuple[ValueKey, StateValue, bytes]]:
    """The values to write back, the tenant's only when one is named."""
    values = []
    for raw_key, serialised in latest.items():
        if serialised is None:
            continue  # removed by retention
        key = value_key_of(raw_key)
        if tenant is None or key.tenant == tenant:
            values.append((key, orjson.loads(serialised), serialised))
    return values


async def _latest_per_partition(
    settings: Settings, table: str, report: IndicatorReplayReport
) -> AsyncIterator[dict[bytes, bytes | None]]:
    """Each changelog partition's last bytes per key (None: removed), one partition at a time:
    an entity's values never span two."""
    topic = changelog_topic(settings.worker.app_id, table)
    async with TopicFromStart(settings, topic) as log:
        latest: dict[bytes, bytes | None] = {}
        partition = None
        async for record in log.in_partition_order():
            report.records += 1
            if record.partition != partition and latest:
                yield latest
                latest = {}
            partition = record.partition
            if record.key is not None:
                latest[record.key] = record.value
        if latest:
            yield latest


async def _mirror(
    redis: RedisClient, values: list[tuple[ValueKey, StateValue, bytes]], agents: view.LearnerAgents
) -> None:
    learners = {(key.tenant, key.subject) for key, _, _ in values if key.entity is Entity.LEARNER}
    async with redis.pipeline(transaction=False) as pipe:
        view.queue_batch(pipe, values)
        view.queue_agents(pipe, {who: agents[who] for who in learners if who in agents})
        await pipe.execute()
