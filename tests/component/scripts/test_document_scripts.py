"""take_document_lease.lua and write_document.lua: one write per document at a time, written
only under its lease and only over the ETag it was decided on."""

from __future__ import annotations

from learning_record.domain.documents import (
    Document,
    DocumentAddress,
    DocumentContext,
    DocumentKind,
    etag_of,
)
from learning_record.store import documents, keys
from learning_record.store.connection import RedisClient
from tests.component.scripts.entries import TENANT

REGISTRATION = "9e2a1ad4-6e5b-4a2f-8b0e-0b2c1f0e7d11"
CONTEXT = DocumentContext(DocumentKind.STATE, "https://example.com/a", "mbox:mailto:a@b.c")
ADDRESS = DocumentAddress(CONTEXT, "bookmark")
FIRST = Document("application/json", b'{"page":1}', 1_000)
SECOND = Document("text/plain", b"page two", 2_000)
LEASE_MS = 60_000


async def test_a_lease_is_exclusive_until_its_write_releases_it(script_redis: RedisClient) -> None:
    first = await documents.take_lease(script_redis, TENANT, ADDRESS, "one", LEASE_MS)
    assert first == documents.Lease("one", None, 0)
    assert await documents.take_lease(script_redis, TENANT, ADDRESS, "two", LEASE_MS) is None

    assert await documents.write(script_redis, TENANT, ADDRESS, first, FIRST) == "written"

    second = await documents.take_lease(script_redis, TENANT, ADDRESS, "two", LEASE_MS)
    assert second == documents.Lease("two", FIRST, 1)


async def test_a_write_stores_the_document_its_etag_and_its_index_entry(
    script_redis: RedisClient,
) -> None:
    lease = await documents.take_lease(script_redis, TENANT, ADDRESS, "one", LEASE_MS)
    assert lease is not None
    await documents.write(script_redis, TENANT, ADDRESS, lease, FIRST)

    key = keys.document(TENANT, "state", CONTEXT.digest, "|bookmark")
    assert await script_redis.hgetall(key) == {
        b"type": b"application/json",
        b"content": b'{"page":1}',
        b"etag": etag_of(b'{"page":1}').encode(),
        b"updated": b"1000",
    }
    index = keys.document_ids(TENANT, "state", CONTEXT.digest)
    assert await script_redis.zrange(index, 0, -1, withscores=True) == [(b"|bookmark", 1000.0)]
    assert (
        await script_redis.exists(keys.document_lease(TENANT, "state", CONTEXT.digest, "|bookmark"))
        == 0
    )


async def test_a_document_changed_since_the_lease_read_it_is_not_overwritten(
    script_redis: RedisClient,
) -> None:
    stale = documents.Lease("one", FIRST, 0)  # decided on FIRST, but nothing is stored
    await script_redis.set(keys.document_lease(TENANT, "state", CONTEXT.digest, "|bookmark"), "one")

    assert await documents.write(script_redis, TENANT, ADDRESS, stale, SECOND) == "changed"
    assert await documents.fetch(script_redis, TENANT, ADDRESS) is None


async def test_a_write_without_its_lease_writes_nothing(script_redis: RedisClient) -> None:
    lost = documents.Lease("expired", None, 0)

    assert await documents.write(script_redis, TENANT, ADDRESS, lost, FIRST) == "lease_lost"
    assert await documents.fetch(script_redis, TENANT, ADDRESS) is None


async def test_a_delete_removes_the_document_and_its_index_entry(script_redis: RedisClient) -> None:
    lease = await documents.take_lease(script_redis, TENANT, ADDRESS, "one", LEASE_MS)
    assert lease is not None
    await documents.write(script_redis, TENANT, ADDRESS, lease, FIRST)
    lease = await documents.take_lease(script_redis, TENANT, ADDRESS, "two", LEASE_MS)
    assert lease is not None

    assert await documents.write(script_redis, TENANT, ADDRESS, lease, None) == "written"

    assert await documents.fetch(script_redis, TENANT, ADDRESS) is None
    assert await documents.list_ids(script_redis, TENANT, CONTEXT) == documents.Listing([], None)


async def test_release_gives_the_lease_back_without_writing(script_redis: RedisClient) -> None:
    lease = await documents.take_lease(script_redis, TENANT, ADDRESS, "one", LEASE_MS)
    assert lease is not None

    await documents.release(script_redis, TENANT, ADDRESS, lease)

    assert await documents.fetch(script_redis, TENANT, ADDRESS) is None
    assert await documents.take_lease(script_redis, TENANT, ADDRESS, "two", LEASE_MS) is not None


async def test_listings_filter_by_since_and_registration(script_redis: RedisClient) -> None:
    registered = DocumentContext(
        DocumentKind.STATE, CONTEXT.activity_id, CONTEXT.agent_ifi, REGISTRATION
    )
    for address, document in (
        (ADDRESS, FIRST),
        (DocumentAddress(registered, "resume"), SECOND),
    ):
        lease = await documents.take_lease(script_redis, TENANT, address, "t", LEASE_MS)
        assert lease is not None
        await documents.write(script_redis, TENANT, address, lease, document)

    assert await documents.list_ids(script_redis, TENANT, CONTEXT) == documents.Listing(
        ["bookmark", "resume"], 2_000
    )
    assert await documents.list_ids(script_redis, TENANT, CONTEXT, 1_000) == documents.Listing(
        ["resume"], 2_000
    )
    assert await documents.list_ids(script_redis, TENANT, registered) == documents.Listing(
        ["resume"], 2_000
    )
    assert await documents.context_addresses(script_redis, TENANT, CONTEXT) == [
        ADDRESS,
        DocumentAddress(registered, "resume"),
    ]
