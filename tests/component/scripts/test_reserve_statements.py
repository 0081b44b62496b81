"""reserve_statements.lua: a batch's ids held for their content, all or nothing."""

from __future__ import annotations

import pytest

from learning_record.domain.statement_index import StatementConflict, VoidingVoidingStatement
from learning_record.store import keys
from learning_record.store.connection import RedisClient
from learning_record.store.statement_entries import Claim
from learning_record.store.statements import Reservation, reserve
from tests.component.scripts.entries import TENANT


async def test_new_ids_get_consecutive_sequences_and_one_stored_time(
    script_redis: RedisClient,
) -> None:
    claims = [Claim("a", "digest-a", None), Claim("b", "digest-b", None)]

    reservations = await reserve(script_redis, TENANT, claims, now_ms=1_000)

    assert reservations == [Reservation("new", 1, 1_000), Reservation("new", 2, 1_000)]
    assert await script_redis.hgetall(keys.statement_claim(TENANT, "b")) == {
        b"d": b"digest-b",
        b"s": b"2",
        b"t": b"1000",
        b"v": b"0",
    }
    assert await script_redis.get(keys.statement_sequence(TENANT)) == b"2"
    assert await script_redis.get(keys.statement_last_stored(TENANT)) == b"1000"


async def test_stored_times_never_decrease(script_redis: RedisClient) -> None:
    await reserve(script_redis, TENANT, [Claim("a", "digest-a", None)], now_ms=5_000)

    later = await reserve(script_redis, TENANT, [Claim("b", "digest-b", None)], now_ms=1_000)

    assert later == [Reservation("new", 2, 5_000)]


async def test_an_id_reserved_again_is_pending_then_stored_once_in_the_view(
    script_redis: RedisClient,
) -> None:
    claim = Claim("a", "digest-a", None)
    await reserve(script_redis, TENANT, [claim], now_ms=1_000)

    pending = await reserve(script_redis, TENANT, [claim], now_ms=2_000)
    await script_redis.hset(keys.statement_claim(TENANT, "a"), "w", "1")
    stored = await reserve(script_redis, TENANT, [claim], now_ms=3_000)

    assert pending == [Reservation("pending", 1, 1_000)]
    assert stored == [Reservation("stored", 1, 1_000)]


async def test_an_id_held_for_other_content_refuses_the_whole_batch(
    script_redis: RedisClient,
) -> None:
    await reserve(script_redis, TENANT, [Claim("a", "digest-a", None)], now_ms=1_000)
    batch = [Claim("b", "digest-b", None), Claim("a", "other digest", None)]

    with pytest.raises(StatementConflict) as conflict:
        await reserve(script_redis, TENANT, batch, now_ms=2_000)

    assert conflict.value.statement_id == "a"
    assert await script_redis.exists(keys.statement_claim(TENANT, "b")) == 0
    assert await script_redis.get(keys.statement_sequence(TENANT)) == b"1"


async def test_voiding_a_voiding_statement_is_refused_with_its_path(
    script_redis: RedisClient,
) -> None:
    await reserve(script_redis, TENANT, [Claim("voider", "digest-v", "a")], now_ms=1_000)
    batch = [Claim("b", "digest-b", None), Claim("c", "digest-c", "voider")]

    with pytest.raises(VoidingVoidingStatement) as refused:
        await reserve(script_redis, TENANT, batch, now_ms=2_000)

    assert refused.value.path == "[1].object.id"
    assert await script_redis.exists(keys.statement_claim(TENANT, "b")) == 0
