"""Who owns an attachment (store.attachments), on a real redis-server: an erasure deletes the
content of an attachment only once no other learner's statement references it."""

from __future__ import annotations

from redis.asyncio import Redis

from learning_record.store import keys
from learning_record.store.attachments import (
    AttachmentContent,
    forget_attachments,
    missing_attachments,
    own_attachments,
    release_attachments,
    write_attachments,
)

TENANT = "acme"
OWN, SHARED = "a" * 64, "b" * 64


async def test_content_is_unowned_only_once_every_owner_is_released(redis: Redis) -> None:
    await own_attachments(redis, TENANT, [("ada", [OWN, SHARED]), ("bob", [SHARED]), ("ada", [])])

    assert await release_attachments(redis, TENANT, "ada", [OWN, SHARED]) == [OWN]
    assert await release_attachments(redis, TENANT, "ada", [OWN, SHARED]) == [OWN]  # again
    assert await redis.smembers(keys.attachment_owners(TENANT, SHARED)) == {b"bob"}
    assert await release_attachments(redis, TENANT, "bob", [SHARED]) == [SHARED]


async def test_an_owner_in_another_tenant_owns_nothing_here(redis: Redis) -> None:
    await own_attachments(redis, "globex", [("ada", [SHARED])])
    await own_attachments(redis, TENANT, [("bob", [SHARED])])

    assert await release_attachments(redis, TENANT, "bob", [SHARED]) == [SHARED]
    assert await redis.smembers(keys.attachment_owners("globex", SHARED)) == {b"ada"}


async def test_a_statement_whose_actor_names_nobody_owns_its_attachments_for_good(
    redis: Redis,
) -> None:
    await own_attachments(redis, TENANT, [(None, [SHARED]), ("ada", [SHARED])])

    assert await release_attachments(redis, TENANT, "ada", [SHARED]) == []


async def test_forgetting_deletes_only_the_content_named(redis: Redis) -> None:
    content = AttachmentContent("text/plain", b"hers")
    await write_attachments(redis, TENANT, {OWN: content, SHARED: content})

    await forget_attachments(redis, TENANT, [OWN])
    await forget_attachments(redis, TENANT, [])

    assert await missing_attachments(redis, TENANT, [OWN, SHARED]) == {OWN}
