"""Deleting every key that matches SCAN patterns, in batches (what ``lr replay`` starts with)."""

from __future__ import annotations

from collections.abc import Iterable

from learning_record.store.connection import RedisClient

_BATCH = 1000


async def unlink_matching(redis: RedisClient, patterns: Iterable[str]) -> int:
    """UNLINK every key matching one of ``patterns``; the number of keys deleted."""
    deleted = 0
    for pattern in patterns:
        batch: list[bytes] = []
        async for key in redis.scan_iter(match=pattern, count=_BATCH):
            batch.append(key)
            if len(batch) == _BATCH:
                deleted += int(await redis.unlink(*batch))
                batch.clear()
        if batch:
            deleted += int(await redis.unlink(*batch))
    return deleted
