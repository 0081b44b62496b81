"""purge_view.lua: view retention forgets statements stored before a cutoff, every key of them,
and leaves one whose index list changed after it was read."""

from __future__ import annotations

from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.statement_scripts import DueStatement, PurgeView
from learning_record.store.statements import erase_statements, purge_view, write_view
from tests.component.scripts.entries import TENANT, entry


async def test_statements_stored_before_the_cutoff_are_forgotten_entirely(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("old", 1_000, ("verb:v",)), entry("new", 9_000)])
    await write_view(script_redis, TENANT, [entry("void", 9_000, voids="old")])

    assert await purge_view(script_redis, TENANT, before_ms=5_000) == 1

    assert await script_redis.keys("*old*") == []
    assert await script_redis.zrange(keys.statement_index(TENANT, "verb:v"), 0, -1) == [
        b"new",
        b"void",
    ]
    for zset in (keys.statement_stored_times(TENANT), keys.statement_stored_marks(TENANT)):
        assert await script_redis.zrange(zset, 0, -1) == [b"000000000000002", b"000000000000003"]
    assert await script_redis.zrange(keys.statement_expiry(TENANT), 0, -1) == [b"new", b"void"]
    assert await purge_view(script_redis, TENANT, before_ms=5_000) == 0


async def test_at_most_the_given_number_are_forgotten_per_call(script_redis: RedisClient) -> None:
    await write_view(script_redis, TENANT, [entry(name, 1_000) for name in "abc"])

    assert await purge_view(script_redis, TENANT, before_ms=5_000, most=2) == 2
    assert await script_redis.zrange(keys.statement_order(TENANT), 0, -1) == [b"c"]


async def test_a_statement_whose_index_list_changed_since_it_was_read_is_left(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("a", 1_000, ("verb:v",))])
    read_before = DueStatement("a", "[]")

    purged = await lua.run(script_redis, PurgeView(TENANT, 5_000, [read_before]))

    assert purged == 0
    assert await script_redis.get(keys.statement(TENANT, "a")) == b'{"id":"a"}'
    assert await script_redis.zrange(keys.statement_index(TENANT, "verb:v"), 0, -1) == [b"a"]


async def test_an_erasure_keeps_the_claims_so_a_redelivery_writes_nothing_back(
    script_redis: RedisClient,
) -> None:
    erased = entry("erased", 1_000, ("verb:v", "agent:mbox:mailto:erin@example.org"))
    await write_view(script_redis, TENANT, [erased, entry("kept", 2_000)])

    assert await erase_statements(script_redis, TENANT, ["erased"]) == 1
    outcome = await write_view(script_redis, TENANT, [erased])  # its record, read again

    assert outcome.conflicts == []
    assert await script_redis.exists(keys.statement(TENANT, "erased")) == 0
    claim = await script_redis.hgetall(keys.statement_claim(TENANT, "erased"))
    assert (claim[b"w"], claim[b"d"], b"ix" in claim) == (b"1", b"digest-erased", False)
    index = keys.statement_index(TENANT, "agent:mbox:mailto:erin@example.org")
    assert await script_redis.exists(index) == 0
    assert await script_redis.zrange(keys.statement_order(TENANT), 0, -1) == [b"kept"]
    assert await script_redis.zrange(keys.statement_expiry(TENANT), 0, -1) == [b"kept"]
