"""The nodes of a local Redis Cluster (``lr dev --cluster``), as the fault tests find them: by
the process names ``redis-<port>`` that ``LocalStack`` gives them."""

from __future__ import annotations

from typing import Any

import redis
from redis.crc import key_slot

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.cli.stack.processes import ManagedProcess
from learning_record.cli.stack.redis_server import cluster_info


def master_and_replica_of(stack: LocalStack, key: str) -> tuple[ManagedProcess, ManagedProcess]:
    """The processes of the master that serves ``key``'s slot and of its replica."""
    slot = key_slot(key.encode())
    nodes = _nodes(stack)
    (master,) = [
        address
        for address, node in nodes.items()
        if "master" in node["flags"]
        and any(int(first) <= slot <= int(last) for first, last in node["slots"])
    ]
    (replica,) = [a for a, node in nodes.items() if node["master_id"] == nodes[master]["node_id"]]
    by_name = {process.name: process for process in stack.redis}
    return by_name[_name(master)], by_name[_name(replica)]


def replica_caught_up(master_name: str) -> bool:
    """Whether the master's replica took every write the master took."""
    with _client(_port(master_name)) as client:
        info = client.info("replication")
    replica = info.get("slave0")
    return bool(replica) and replica["offset"] == info["master_repl_offset"]


def cluster_ok(node_name: str) -> bool:
    return cluster_info(_port(node_name)).get("cluster_state") == "ok"


def _nodes(stack: LocalStack) -> dict[str, dict[str, Any]]:
    """CLUSTER NODES as the first node that answers sees it, by "host:port"."""
    for node in stack.settings.stack.redis_cluster_nodes:
        try:
            with _client(node.port) as client:
                nodes: dict[str, dict[str, Any]] = client.cluster("NODES")
                return nodes
        except redis.RedisError:
            continue
    raise AssertionError("no node of the Redis Cluster answers")


def _client(port: int) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, decode_responses=True)


def _name(address: str) -> str:
    return f"redis-{address.rsplit(':', 1)[1]}"


def _port(name: str) -> int:
    return int(name.removeprefix("redis-"))
