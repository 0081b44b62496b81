"""replace_document.lua: an erasure puts a placeholder in a statement that mentions the erased
learner, and takes it out of that learner's index keys, only over the index list it read."""

from __future__ import annotations

from typing import cast

import orjson

from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.keys import ClaimField
from learning_record.store.statement_scripts import ReplaceDocument
from learning_record.store.statements import write_view
from tests.component.scripts.entries import TENANT, entry

LEARNER_TERMS = ("agent:mbox:mailto:erin@example.org", "related-agent:mbox:mailto:erin@example.org")
LEAVING = [keys.statement_index(TENANT, term) for term in LEARNER_TERMS]


async def _indexes(redis: RedisClient, statement_id: str) -> str:
    listed = await redis.hget(keys.statement_claim(TENANT, statement_id), ClaimField.INDEXES)
    return cast(bytes, listed).decode() if listed else ""


async def test_the_document_is_replaced_and_leaves_the_learners_indexes_only(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("a", 1_000, ("verb:v", *LEARNER_TERMS))])
    read = await _indexes(script_redis, "a")

    replaced = await lua.run(
        script_redis, ReplaceDocument(TENANT, "a", b'{"id":"a","erased":true}', read, LEAVING)
    )

    assert replaced == 1
    assert await script_redis.get(keys.statement(TENANT, "a")) == b'{"id":"a","erased":true}'
    for index in LEAVING:
        assert await script_redis.exists(index) == 0
    verbs = keys.statement_index(TENANT, "verb:v")
    assert await script_redis.zrange(verbs, 0, -1) == [b"a"]
    assert orjson.loads(await _indexes(script_redis, "a")) == [verbs]


async def test_a_statement_whose_index_list_changed_since_it_was_read_is_left(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [entry("a", 1_000, ("verb:v", *LEARNER_TERMS))])

    replaced = await lua.run(script_redis, ReplaceDocument(TENANT, "a", b"{}", "[]", LEAVING))

    assert replaced == 0
    assert await script_redis.get(keys.statement(TENANT, "a")) == b'{"id":"a"}'
    assert await script_redis.zrange(LEAVING[0], 0, -1) == [b"a"]


async def test_a_statement_gone_from_the_view_is_not_written_again(
    script_redis: RedisClient,
) -> None:
    replaced = await lua.run(script_redis, ReplaceDocument(TENANT, "gone", b"{}", "", LEAVING))

    assert replaced == 0
    assert await script_redis.exists(keys.statement(TENANT, "gone")) == 0
