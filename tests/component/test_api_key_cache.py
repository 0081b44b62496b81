"""The shared cache of API key records over a real redis-server: what may replace what, and one
change of a key at a time."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from learning_record.domain.access import Scope, mint_key, revoked, rotated
from learning_record.store import keys
from learning_record.store.api_keys import cache_key, cached_key, changing_key


async def test_a_rotation_racing_a_revocation_never_replaces_it_in_the_cache(
    redis: Redis,
) -> None:
    created = mint_key(tenant="acme", name="k", scopes=(Scope.ALL,)).record
    rotation, revocation = rotated(created).record, revoked(created)

    assert await cache_key(redis, revocation) is True
    assert await cache_key(redis, rotation) is False  # same revision: the revocation stays
    assert await cached_key(redis, created.key_id) == revocation


async def test_a_revocation_replaces_a_rotation_of_the_same_revision(redis: Redis) -> None:
    created = mint_key(tenant="acme", name="k", scopes=(Scope.ALL,)).record
    rotation, revocation = rotated(created).record, revoked(created)

    assert await cache_key(redis, rotation) is True
    assert await cache_key(redis, revocation) is True
    assert await cached_key(redis, created.key_id) == revocation


async def test_an_unreadable_cache_entry_reads_as_missing_and_is_replaced(redis: Redis) -> None:
    record = mint_key(tenant="acme", name="k", scopes=(Scope.ALL,)).record
    await redis.set(keys.api_key(record.key_id), b"{not a record")

    assert await cached_key(redis, record.key_id) is None
    assert await cache_key(redis, record) is True
    assert await cached_key(redis, record.key_id) == record


async def test_changes_of_one_key_run_one_at_a_time(redis: Redis) -> None:
    key_id = "lrk_0123456789abcdef"
    steps: list[str] = []
    first_inside, release = asyncio.Event(), asyncio.Event()

    async def change(name: str) -> None:
        async with changing_key(redis, key_id):
            steps.append(f"{name} in")
            first_inside.set()
            await release.wait()  # the work of a change, during which the other must wait
            steps.append(f"{name} out")

    first = asyncio.create_task(change("first"))
    await first_inside.wait()
    second = asyncio.create_task(change("second"))
    # While the first change runs, nobody else gets the key's lock.
    assert not await redis.lock(keys.api_key_change_lock(key_id)).acquire(blocking=False)
    release.set()
    await asyncio.gather(first, second)

    assert steps == ["first in", "first out", "second in", "second out"]
