"""The API's, the worker's and ``lr replay``'s Redis connections pack commands with hiredis
(``store.connection``): they send what redis-py's own packer sends, and a real Redis answers
them alike."""

from __future__ import annotations

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import Connection
from redis.typing import EncodableT

from learning_record.store.connection import HiredisPackingConnection

COMMANDS: list[tuple[EncodableT, ...]] = [
    ("SET", "key", "value"),
    ("CONFIG GET", "maxmemory"),  # a command of two words, sent as two arguments
    (b"HSET", b"hash", "é", 1, 2.5, b"\x00\xff\r\n"),
    ("HMGET", "hash", *(f"field:{n}" for n in range(3000))),
]


def test_commands_are_packed_as_redis_py_packs_them() -> None:
    by_python, by_hiredis = Connection(), HiredisPackingConnection()
    for words in COMMANDS:
        assert b"".join(by_hiredis.pack_command(*words)) == b"".join(by_python.pack_command(*words))


async def test_a_pipeline_of_hiredis_packed_commands_reads_back_what_it_wrote(
    redis: Redis, redis_url: str
) -> None:
    pool = ConnectionPool.from_url(redis_url, connection_class=HiredisPackingConnection)
    client = Redis(connection_pool=pool)
    fields: dict[EncodableT, EncodableT] = {
        f"field:{n}": f"value {n} é".encode() for n in range(3000)
    }
    try:
        async with client.pipeline(transaction=False) as pipe:
            pipe.hset("hash", mapping={**fields, "count": 7, "share": 0.25})
            pipe.hmget("hash", [*fields, "count", "share", "missing"])
            written, read = await pipe.execute()
    finally:
        await client.aclose(close_connection_pool=True)

    assert written == 3002
    assert read == [*fields.values(), b"7", b"0.25", None]


def test_the_worker_packs_its_redis_commands_with_hiredis() -> None:
    from learning_record.stream.redis_client import redis

    assert redis.connection_pool.connection_class is HiredisPackingConnection
