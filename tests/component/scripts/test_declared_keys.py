"""Every script declares every key it touches, all in one slot: what Redis Cluster needs.

The autouse fixture of tests/component runs every script under ``declared_keys.guarded``; the
script tests run on a plain server and on a one-node cluster. These tests show that both checks
really fail, and that no script goes unchecked."""

from __future__ import annotations

from importlib import resources

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from learning_record.store import keys
from learning_record.store.api_keys import CacheKey
from learning_record.store.connection import RedisClient
from learning_record.store.documents import TakeDocumentLease, WriteDocument
from learning_record.store.known_objects import RememberKnownObjects
from learning_record.store.lua import ScriptCall
from learning_record.store.rate_limits import TakeRequest, TakeStatements
from learning_record.store.statement_scripts import (
    PurgeView,
    QueryPage,
    ReplaceDocument,
    ReserveStatements,
    RouteStatements,
    WriteView,
)
from tests.component.declared_keys import GUARD, guarded
from tests.component.scripts.entries import OTHER_TENANT, TENANT

DESCRIPTIONS: list[type[ScriptCall]] = [
    ReserveStatements,
    WriteView,
    PurgeView,
    ReplaceDocument,
    QueryPage,
    RouteStatements,
    TakeRequest,
    TakeStatements,
    CacheKey,
    TakeDocumentLease,
    WriteDocument,
    RememberKnownObjects,
]


def test_every_script_file_belongs_to_a_description() -> None:
    folder = resources.files("learning_record.store").joinpath("scripts")
    files = {entry.name for entry in folder.iterdir() if entry.name.endswith(".lua")}

    used = {f"{name}.lua" for d in DESCRIPTIONS for name in (*d.SCRIPT.shared, d.SCRIPT.name)}

    assert used == files


def test_the_scripts_component_tests_run_are_the_guarded_ones() -> None:
    for description in DESCRIPTIONS:
        source = description.SCRIPT.source
        assert source.startswith(GUARD)
        assert "redis.call(" not in source.removeprefix(GUARD)


async def test_the_guard_refuses_a_key_the_script_does_not_declare(
    script_redis: RedisClient,
) -> None:
    declared, undeclared = keys.statement(TENANT, "a"), keys.statement(TENANT, "b")
    script = guarded("redis.call('SET', KEYS[1], 'x') return redis.call('GET', ARGV[1])")

    with pytest.raises(ResponseError, match=f"undeclared key {undeclared} in GET"):
        await script_redis.eval(script, 1, declared, undeclared)


async def test_the_guard_lets_declared_keys_and_keyless_commands_through(
    script_redis: RedisClient,
) -> None:
    script = guarded("redis.call('TIME') redis.call('SET', KEYS[1], 'x') return 1")

    assert await script_redis.eval(script, 1, keys.statement(TENANT, "a")) == 1
    assert await script_redis.get(keys.statement(TENANT, "a")) == b"x"


async def test_the_cluster_refuses_keys_of_two_tenants_in_one_script(
    cluster_redis_node: str,
) -> None:
    both = (keys.statement(TENANT, "a"), keys.statement(OTHER_TENANT, "a"))
    # A plain client: the cluster client would refuse it itself, before Redis does.
    async with Redis.from_url(f"redis://{cluster_redis_node}/0") as cluster:
        with pytest.raises(ResponseError, match="don't hash to the same slot"):
            await cluster.eval("return 1", 2, *both)
