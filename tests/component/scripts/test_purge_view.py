"""purge_view.lua: view retention forgets statements stored before a cutoff, every key of them,
keeps what an erasure of their owner needs, and leaves one whose index list changed after it
was read."""

from __future__ import annotations

from typing import Any

import orjson

from learning_record.domain.indicators import contribution_of
from learning_record.domain.indicators.routing import RouteRequest
from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.retired_statements import retired_statements
from learning_record.store.statement_entries import ViewEntry, view_entry
from learning_record.store.statement_scripts import DueStatement, PurgeView
from learning_record.store.statements import erase_statements, purge_view, route, write_view
from tests.component.scripts.entries import TENANT, entry
from tests.pseudonyms import learner_ids

LEARNER_ID = learner_ids(TENANT)


async def test_statements_stored_before_the_cutoff_are_forgotten_entirely(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("old", 1_000, ("verb:v",)), entry("new", 9_000)])
    await write_view(script_redis, TENANT, [entry("void", 9_000, voids="old")])

    assert await purge_view(script_redis, TENANT, 5_000, LEARNER_ID) == 1

    assert await script_redis.keys("*old*") == []
    assert await script_redis.zrange(keys.statement_index(TENANT, "verb:v"), 0, -1) == [
        b"new",
        b"void",
    ]
    for zset in (keys.statement_stored_times(TENANT), keys.statement_stored_marks(TENANT)):
        assert await script_redis.zrange(zset, 0, -1) == [b"000000000000002", b"000000000000003"]
    assert await script_redis.zrange(keys.statement_expiry(TENANT), 0, -1) == [b"new", b"void"]
    assert await purge_view(script_redis, TENANT, 5_000, LEARNER_ID) == 0


async def test_at_most_the_given_number_are_forgotten_per_call(script_redis: RedisClient) -> None:
    await write_view(script_redis, TENANT, [entry(name, 1_000) for name in "abc"])

    assert await purge_view(script_redis, TENANT, 5_000, LEARNER_ID, most=2) == 2
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


ADA = "mbox:mailto:ada@example.org"


def statement(statement_id: str, stored: str, **extra: Any) -> ViewEntry:
    document = {
        "id": statement_id,
        "actor": {"mbox": "mailto:ada@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://example.org/course"},
        "stored": stored,
        "timestamp": stored,
        **extra,
    }
    return view_entry(document, orjson.dumps(document), defines=True, learner_id=LEARNER_ID)


async def test_retention_keeps_how_each_statement_counted_for_its_owners_erasure(
    script_redis: RedisClient,
) -> None:
    sha2 = "c" * 64
    attachment = {
        "usageType": "http://example.org/usage",
        "display": {"en": "notes"},
        "contentType": "text/plain",
        "length": 5,
        "sha2": sha2,
    }
    counted = statement("a" * 8, "1970-01-01T00:00:01.000Z", attachments=[attachment])
    retracted = statement("b" * 8, "1970-01-01T00:00:02.000Z")
    never_routed = statement("c" * 8, "1970-01-01T00:00:03.000Z")
    await write_view(script_redis, TENANT, [counted, retracted, never_routed])
    applied = [
        RouteRequest(entry.statement_id, (0, offset), voids=False)
        for offset, entry in enumerate((counted, retracted))
    ]
    await route(script_redis, TENANT, applied)
    await route(script_redis, TENANT, [RouteRequest(retracted.statement_id, (0, 9), voids=True)])

    assert await purge_view(script_redis, TENANT, 5_000, LEARNER_ID) == 3

    kept = await retired_statements(script_redis, TENANT, LEARNER_ID(ADA))
    assert [
        (r.statement_id, r.sequence, r.applied_at, r.retracted_at, r.attachments) for r in kept
    ] == [
        ("a" * 8, 1, (0, 0), None, (sha2,)),
        ("b" * 8, 2, (0, 1), (0, 9), ()),
        ("c" * 8, 3, None, None, ()),
    ]
    document = orjson.loads(counted.document)
    assert [r.contribution for r in kept] == [
        contribution_of(document, LEARNER_ID),
        contribution_of(orjson.loads(retracted.document), LEARNER_ID),
        contribution_of(orjson.loads(never_routed.document), LEARNER_ID),
    ]


async def test_an_erasure_purge_keeps_nothing_for_retention(script_redis: RedisClient) -> None:
    erased = statement("d" * 8, "1970-01-01T00:00:01.000Z")
    await write_view(script_redis, TENANT, [erased])
    await route(script_redis, TENANT, [RouteRequest(erased.statement_id, (0, 0), voids=False)])

    assert await erase_statements(script_redis, TENANT, [erased.statement_id]) == 1

    assert await retired_statements(script_redis, TENANT, LEARNER_ID(ADA)) == []
