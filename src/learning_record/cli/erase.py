"""``lr erase``: ask for a learner's erasure from the command line, as ``DELETE
/admin/learners`` does (docs/privacy.md), and optionally wait until it is done."""

from __future__ import annotations

import asyncio
import getpass
import time

from aiokafka import AIOKafkaProducer

from learning_record.api.kafka_logs import KafkaErasureLog
from learning_record.domain.erasure import ErasureRecord
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import Settings
from learning_record.platform.topics import ensure_topics
from learning_record.services.erasure import LearnerErasure
from learning_record.store.connection import open_redis
from learning_record.store.learner_keys import LearnerKeys

# How often --wait reads the erasure's state.
_POLL_S = 0.5


async def erase(
    settings: Settings, tenant: str, ifi: str, wait_s: float | None
) -> tuple[ErasureRecord, dict[str, str] | None]:
    """Ask for the erasure; with ``wait_s``, also wait (that long at most) until it is done.
    The request, and its last state read."""
    kafka = settings.kafka
    await ensure_topics(kafka)
    redis = open_redis(settings.redis)
    producer = AIOKafkaProducer(**client_options(kafka), enable_idempotence=True, acks="all")
    keys = LearnerKeys(settings)
    await producer.start()
    try:
        await keys.start()
        try:
            log = KafkaErasureLog(producer, kafka.erasures_topic, kafka.write_deadline_s)
            erasure = LearnerErasure(redis, log, keys)
            record = await erasure.request(tenant, ifi, f"lr erase by {getpass.getuser()}")
            state = await erasure.state(tenant, record.id)
            deadline = time.monotonic() + (wait_s or 0)
            while wait_s is not None and (state or {}).get("state") != "done":
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(_POLL_S)
                state = await erasure.state(tenant, record.id)
            return record, state
        finally:
            await keys.stop()
    finally:
        await producer.stop()
        await redis.aclose()
