"""Opening Redis: a single server or a Redis Cluster, as the settings say, behind one type.

Every caller takes a ``RedisClient`` and runs the same commands on both: the keys of one
tenant share a hash slot (``store.keys``), so a script or pipeline never spans nodes that the
cluster client would have to split.

On a single server the connections pack commands in C. redis-py's asyncio connections pack
every command in Python, about 1.7 µs an argument on this project's machines: a round trip of
20,000 indicator fields held the API's event loop for 34 ms of packing alone. Its synchronous
client packs with hiredis when it is installed (it is one of our dependencies);
``HiredisPackingConnection`` does the same, 14 times faster, for ``redis://`` URLs and the
nodes of a cluster without TLS (``rediss://``, ``unix://`` and TLS nodes keep redis-py's own
packing).

The cluster client, on CLUSTERDOWN during a failover, closes every connection of every node,
the ones other commands are using included, and a command can then find its connection closed
between its check and its write. redis-py raises an ``AttributeError`` there (its writer is
gone); ``SendsOnOpenConnections`` makes that the ``ConnectionError`` it is, which the cluster
client retries once on the new slot map and the API answers 503 at worst (docs/cluster.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias, cast

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterNode, ClusterPipeline
from redis.asyncio.connection import Connection, SSLConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.connection import HiredisRespSerializer
from redis.exceptions import (
    ClusterError,
    ConnectionError,
    RedisClusterException,
    RedisError,
    TimeoutError,
)
from redis.typing import EncodableT

from learning_record.platform.settings import RedisSettings

RedisClient: TypeAlias = Redis | RedisCluster
RedisPipeline: TypeAlias = Pipeline | ClusterPipeline

# Every error a Redis call may raise: the cluster client's own (no node reachable, a slot that
# no node serves) are not RedisErrors.
ANY_REDIS_ERROR = (RedisError, RedisClusterException)
# Errors of a Redis that is away for now: down, too slow, or a cluster while a replica takes
# over a master or a slot moves (CLUSTERDOWN, TRYAGAIN past the client's own retries, a slot
# not covered). Callers answer 503 or try again.
REDIS_UNAVAILABLE = (ConnectionError, TimeoutError, ClusterError, RedisClusterException)

_PACKER = HiredisRespSerializer()


class HiredisPackingConnection(Connection):
    def pack_command(self, *args: EncodableT) -> list[bytes]:
        # redis-py annotates each of pack's arguments as a list; they are a command's words.
        return cast(list[bytes], _PACKER.pack(*args))  # type: ignore[arg-type]


class SendsOnOpenConnections(Connection):
    """A connection that another task may close while a command waits to be written on it."""

    # redis-py writes through this method whenever a socket timeout is set: every client
    # opened with a deadline (the API's and the worker's).
    async def _send_packed_command(self, command: Iterable[bytes]) -> None:
        if self._writer is None:
            raise ConnectionError("Connection closed by the cluster client while a command waited")
        await super()._send_packed_command(command)


class ClusterNodeConnection(SendsOnOpenConnections, HiredisPackingConnection):
    pass


class ClusterNodeTlsConnection(SendsOnOpenConnections, SSLConnection):
    pass


def open_redis(settings: RedisSettings, *, deadline_s: float | None = None) -> RedisClient:
    """A client of the configured Redis, connecting on first use.

    ``deadline_s`` bounds connecting, each command and the wait for a free connection, with a
    single attempt: a Redis that is down costs the API's caller a fast 503, not redis-py's
    retries with backoff. On a cluster, one more attempt once the client re-read the slot map:
    after a failover, that attempt reaches the new master (a pipeline re-reads the map only
    when it may try again). Without a deadline, redis-py's defaults (``lr`` commands)."""
    options: dict[str, Any] = {"health_check_interval": 30}
    if deadline_s is not None:
        options |= {"socket_timeout": deadline_s, "socket_connect_timeout": deadline_s}
    if settings.cluster_nodes:
        if deadline_s is not None:
            options["retry"] = Retry(NoBackoff(), retries=1)
        if settings.tls:
            ca_file = settings.tls_ca_file
            options |= {"ssl": True, "ssl_ca_certs": None if ca_file is None else str(ca_file)}
        password = settings.password
        cluster = RedisCluster(
            startup_nodes=[_node(address) for address in settings.cluster_nodes],
            # The nodes as configured stay the way back in: a DNS name (a managed service's
            # configuration endpoint, a container's name) outlives the addresses behind it.
            dynamic_startup_nodes=False,
            max_connections=settings.max_connections,
            username=settings.username,
            password=None if password is None else password.get_secret_value(),
            **options,
        )
        _connect_nodes_with(
            cluster, ClusterNodeTlsConnection if settings.tls else ClusterNodeConnection
        )
        return cluster
    if deadline_s is not None:
        options["retry"] = Retry(NoBackoff(), retries=0)
    # Requests beyond the pool's connections wait for one (up to the deadline) rather than fail.
    pool = BlockingConnectionPool.from_url(
        settings.url,
        max_connections=settings.max_connections,
        timeout=deadline_s,
        connection_class=HiredisPackingConnection,
        **options,
    )
    return Redis.from_pool(pool)  # closing the client closes its pool


def _connect_nodes_with(cluster: RedisCluster, connection_class: type[Connection]) -> None:
    """RedisCluster takes no connection class (it picks Connection or SSLConnection): set ours
    on the nodes it was given, and in the keyword arguments (the very dict its node manager
    holds) from which it builds every node it discovers."""
    cluster.connection_kwargs["connection_class"] = connection_class
    for node in cluster.nodes_manager.startup_nodes.values():
        node.connection_class = connection_class


def _node(address: str) -> ClusterNode:
    host, _, port = address.rpartition(":")
    return ClusterNode(host, int(port))
