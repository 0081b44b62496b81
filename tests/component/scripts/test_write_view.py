"""write_view.lua: statements into the view and its indexes, first write wins, voiding and
statement references passing their terms on, with every key it touches declared."""

from __future__ import annotations

from typing import cast

from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.statement_scripts import WriteView
from learning_record.store.statements import WriteOutcome, write_view
from tests.component.scripts.entries import TENANT, entry


async def index(redis: RedisClient, term: str) -> list[tuple[bytes, float]]:
    return cast(
        list[tuple[bytes, float]],
        await redis.zrange(keys.statement_index(TENANT, term), 0, -1, withscores=True),
    )


async def order(redis: RedisClient) -> list[tuple[bytes, float]]:
    return cast(
        list[tuple[bytes, float]],
        await redis.zrange(keys.statement_order(TENANT), 0, -1, withscores=True),
    )


async def test_a_statement_without_claim_gets_its_sequence_and_every_entry(
    script_redis: RedisClient,
) -> None:
    outcome = await write_view(script_redis, TENANT, [entry("a", 2_000, ("verb:v", "agent:x"))])

    assert outcome == WriteOutcome(1, [])
    assert await script_redis.get(keys.statement(TENANT, "a")) == b'{"id":"a"}'
    assert await script_redis.hgetall(keys.statement_claim(TENANT, "a")) == {
        b"d": b"digest-a",
        b"s": b"1",
        b"t": b"2000",
        b"m": b"2000",
        b"v": b"0",
        b"w": b"1",
        b"ix": b'["lr:{t:t1}:stmt-ix:verb:v","lr:{t:t1}:stmt-ix:agent:x"]',
    }
    assert await index(script_redis, "agent:x") == [(b"a", 1.0)]
    assert await order(script_redis) == [(b"a", 1.0)]
    padded = b"000000000000001"
    assert await script_redis.zrange(
        keys.statement_stored_times(TENANT), 0, -1, withscores=True
    ) == [(padded, 2_000.0)]
    assert await script_redis.zrange(keys.statement_expiry(TENANT), 0, -1, withscores=True) == [
        (b"a", 2_000.0)
    ]


async def test_stored_marks_never_decrease_along_sequences(script_redis: RedisClient) -> None:
    await write_view(script_redis, TENANT, [entry("a", 5_000), entry("b", 1_000)])

    assert await script_redis.zrange(
        keys.statement_stored_marks(TENANT), 0, -1, withscores=True
    ) == [(b"000000000000001", 5_000.0), (b"000000000000002", 5_000.0)]
    assert await script_redis.hget(keys.statement_claim(TENANT, "b"), "t") == b"1000"


async def test_the_first_write_wins_and_other_content_is_a_conflict(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("a")])
    await script_redis.hset(keys.statement_claim(TENANT, "b"), mapping={"d": "held", "s": 7})

    again = await write_view(script_redis, TENANT, [entry("a", digest="other"), entry("b")])

    assert again == WriteOutcome(0, ["b"])
    assert await script_redis.get(keys.statement(TENANT, "b")) is None
    assert await order(script_redis) == [(b"a", 1.0)]


async def test_a_voiding_statement_unindexes_its_target_and_takes_its_terms(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("a", terms=("activity:x",))])

    await write_view(script_redis, TENANT, [entry("void", terms=("verb:voided",), voids="a")])

    assert await script_redis.get(keys.voided_by(TENANT, "a")) == b"void"
    assert await index(script_redis, "activity:x") == [(b"void", 2.0)]
    assert await order(script_redis) == [(b"void", 2.0)]


async def test_a_target_arriving_after_its_voiding_statement_is_never_indexed(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("void", terms=("verb:voided",), voids="a")])

    await write_view(script_redis, TENANT, [entry("a", terms=("activity:x",))])

    assert await script_redis.get(keys.statement(TENANT, "a")) == b'{"id":"a"}'
    assert await order(script_redis) == [(b"void", 1.0)]


async def test_terms_flow_down_a_chain_of_references_arriving_backwards(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("c", terms=("verb:c",), refers_to="b")])
    await write_view(script_redis, TENANT, [entry("b", terms=("verb:b",), refers_to="a")])

    await write_view(script_redis, TENANT, [entry("a", terms=("activity:x",))])

    assert await index(script_redis, "activity:x") == [(b"c", 1.0), (b"b", 2.0), (b"a", 3.0)]
    assert await index(script_redis, "verb:b") == [(b"c", 1.0), (b"b", 2.0)]


async def test_keys_found_in_the_data_are_asked_for_before_anything_is_written(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("b", refers_to="a")])

    answer = await lua.run(script_redis, WriteView(TENANT, [entry("a")]))

    assert answer == [
        b"undeclared",
        0,
        [
            keys.statement_claim(TENANT, "b").encode(),
            keys.voided_by(TENANT, "b").encode(),
            keys.targeted_by(TENANT, "b").encode(),
        ],
    ]
    assert await script_redis.exists(keys.statement(TENANT, "a")) == 0
