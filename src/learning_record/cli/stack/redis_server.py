"""Debian's redis-server, bound to loopback, with AOF persistence or none."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import redis

from learning_record.cli.stack.processes import ManagedProcess, wait_until


@dataclass(frozen=True)
class RedisServerConfig:
    data_dir: Path
    port: int
    persistence: bool


def redis_process(config: RedisServerConfig) -> ManagedProcess:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: run `make deps` (apt-get install redis-server)")
    redis_dir = config.data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    persistence = (
        ["--appendonly", "yes", "--appendfsync", "everysec"]
        if config.persistence
        else ["--appendonly", "no"]
    )
    return ManagedProcess(
        "redis",
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(config.port),
            "--dir",
            str(redis_dir.resolve()),
            "--save",
            "",
            *persistence,
            "--daemonize",
            "no",
        ],
        log_path=config.data_dir / "logs" / "redis.log",
    )


def pings(port: int) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def wait_ready(proc: ManagedProcess, port: int, timeout_s: float = 30) -> None:
    wait_until("Redis PING", lambda: pings(port), timeout_s, proc)
