"""API keys as this process knows them: the compacted keys topic, read from its start and then
followed, mirrored into Redis. Losing Redis never locks anyone out: the topic refills it."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Protocol

from learning_record.domain.access import ApiKeyRecord, supersedes
from learning_record.platform import logs
from learning_record.platform.settings import KafkaSettings
from learning_record.store.api_keys import cache_key, cached_key
from learning_record.store.connection import ANY_REDIS_ERROR, RedisClient
from learning_record.store.key_log import apply_records, consume_to_end, key_topic_consumer

log = logs.get_logger(__name__)


class KeyLookup(Protocol):
    """What authentication needs of the keys: a ``KeyDirectory``, or a test's double."""

    async def lookup(self, key_id: str) -> ApiKeyRecord | None: ...


class KeyDirectory:
    def __init__(self, kafka: KafkaSettings, redis: RedisClient) -> None:
        self._redis = redis
        self._known: dict[str, ApiKeyRecord] = {}
        self._consumer = key_topic_consumer(kafka)
        self._follower: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Read the topic up to its current end, then keep following it in the background."""
        await self._consumer.start()
        await consume_to_end(self._consumer, self._learn)
        self._follower = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with suppress(asyncio.CancelledError):
                await self._follower
        await self._consumer.stop()

    async def lookup(self, key_id: str) -> ApiKeyRecord | None:
        """Redis first (shared by every API process, written first by `lr keys`), then the topic."""
        try:
            cached = await cached_key(self._redis, key_id)
        except ANY_REDIS_ERROR:
            log.warning("key_cache_unavailable")
            cached = None
        if cached is not None:
            return cached
        record = self._known.get(key_id)
        if record is not None:
            with suppress(*ANY_REDIS_ERROR):
                await cache_key(self._redis, record)
        return record

    async def _follow(self) -> None:
        while True:
            try:
                for records in (await self._consumer.getmany(timeout_ms=1000)).values():
                    await apply_records(records, self._learn)
            except Exception:  # keep following: a dead follower would freeze revocations
                log.exception("key_topic_follow_failed")
                await asyncio.sleep(1)

    async def _learn(self, record: ApiKeyRecord) -> None:
        if not supersedes(record, self._known.get(record.key_id)):
            return
        self._known[record.key_id] = record
        with suppress(*ANY_REDIS_ERROR):
            await cache_key(self._redis, record)
