"""``store.connection``: the settings choose a single Redis or the cluster client; the single
Redis's connections pack commands with hiredis, sending what redis-py's own packer sends, and a
real Redis answers them alike."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr
from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis, RedisCluster
from redis.asyncio.connection import Connection
from redis.typing import EncodableT

from learning_record.platform.settings import RedisSettings
from learning_record.store import keys
from learning_record.store.connection import (
    REDIS_UNAVAILABLE,
    ClusterNodeConnection,
    ClusterNodeTlsConnection,
    HiredisPackingConnection,
    open_redis,
)
from tests.component.conftest import CLUSTER_PASSWORD, SecuredNode

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

    assert isinstance(redis, Redis)
    assert redis.connection_pool.connection_class is HiredisPackingConnection


async def test_a_single_redis_packs_with_hiredis_and_bounds_its_connections(
    redis_url: str,
) -> None:
    client = open_redis(RedisSettings(url=redis_url, max_connections=3), deadline_s=1.5)
    try:
        assert isinstance(client, Redis)
        pool = client.connection_pool
        assert isinstance(pool, BlockingConnectionPool)
        assert (pool.connection_class, pool.max_connections, pool.timeout) == (
            HiredisPackingConnection,
            3,
            1.5,
        )
        assert await client.ping() is True
    finally:
        await client.aclose()


async def test_cluster_nodes_select_the_cluster_client(cluster_redis_node: str) -> None:
    client = open_redis(RedisSettings(cluster_nodes=[cluster_redis_node]), deadline_s=1.5)
    try:
        assert isinstance(client, RedisCluster)
        await client.set(keys.statement_sequence("t"), 5)
        assert await client.get(keys.statement_sequence("t")) == b"5"
        # The node it discovered, as well as the one it was given, packs with hiredis.
        nodes = [*client.nodes_manager.startup_nodes.values(), *client.get_nodes()]
        assert {node.connection_class for node in nodes} == {ClusterNodeConnection}
    finally:
        await client.aclose()


async def test_a_command_whose_connection_the_cluster_client_closes_succeeds_on_its_retry(
    cluster_redis_node: str,
) -> None:
    """On CLUSTERDOWN redis-py's cluster client closes every connection, the ones in use too.
    A command that took a connection while it was being closed used to fail with an
    AttributeError (a 500 from the API); it is a ConnectionError now, which the client retries
    once on a fresh slot map. Each round lets the closing run a few more steps before the command
    starts (``sleep(0)``: one step of the event loop), so that some round lands in the gap."""
    client = open_redis(RedisSettings(cluster_nodes=[cluster_redis_node]), deadline_s=1.5)
    key = keys.statement_sequence("t")
    assert isinstance(client, RedisCluster)
    try:
        await client.set(key, 5)
        answers = []
        for steps in range(8):
            (node,) = client.get_nodes()
            closing = asyncio.create_task(node.disconnect())  # what CLUSTERDOWN runs on each node
            for _ in range(steps):
                await asyncio.sleep(0)
            answers.append(await client.get(key))
            await closing
    finally:
        await client.aclose()

    assert answers == [b"5"] * 8


def secured(node: SecuredNode, password: str) -> RedisSettings:
    return RedisSettings(
        cluster_nodes=[node.address],
        password=SecretStr(password),
        tls=True,
        tls_ca_file=node.certificate,
    )


async def test_a_cluster_over_tls_with_a_password_runs_commands_pipelines_and_scripts(
    secured_cluster_node: SecuredNode,
) -> None:
    client = open_redis(secured(secured_cluster_node, CLUSTER_PASSWORD), deadline_s=2)
    key = keys.statement_sequence("t")
    try:
        await client.set(key, 5)
        async with client.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.get(key)
            assert await pipe.execute() == [6, b"6"]
        assert await client.eval("return redis.call('GET', KEYS[1])", 1, key) == b"6"
        assert isinstance(client, RedisCluster)
        assert {node.connection_class for node in client.get_nodes()} == {ClusterNodeTlsConnection}
    finally:
        await client.aclose()


async def test_a_wrong_cluster_password_is_a_redis_that_is_unavailable(
    secured_cluster_node: SecuredNode,
) -> None:
    client = open_redis(secured(secured_cluster_node, "not the password"), deadline_s=2)
    try:
        with pytest.raises(REDIS_UNAVAILABLE, match=r"invalid username-password|WRONGPASS"):
            await client.get(keys.statement_sequence("t"))
    finally:
        await client.aclose()
