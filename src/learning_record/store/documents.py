"""The document view: State, Activity Profile and Agent Profile documents, by tenant and context.

The durable copy is the compacted documents topic; a write takes the document's lease
(``take_lease``), is appended to the topic, then written here under the lease (``write``), so
Redis and the topic see the writes of one document in the same order (docs/documents.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, cast

from redis.typing import EncodableT

from learning_record.domain.documents import (
    Document,
    DocumentAddress,
    DocumentContext,
    document_id_of,
)
from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.lua import LuaScript
from learning_record.store.scan import unlink_matching

WriteOutcome = Literal["written", "released", "changed", "lease_lost"]


def _keys(tenant: str, address: DocumentAddress) -> list[str]:
    """The KEYS of both document scripts: the document, its lease, its context's index."""
    context = address.context
    kind, digest, slot = context.kind.value, context.digest, address.slot
    return [
        keys.document(tenant, kind, digest, slot),
        keys.document_lease(tenant, kind, digest, slot),
        keys.document_ids(tenant, kind, digest),
    ]


@dataclass(frozen=True, slots=True)
class TakeDocumentLease:
    """Hold a document for one write; read it and the size of its context."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("take_document_lease")
    tenant: str
    address: DocumentAddress
    token: str
    lifetime_ms: int

    def keys(self) -> list[str]:
        return _keys(self.tenant, self.address)

    def args(self) -> list[EncodableT]:
        return [self.token, self.lifetime_ms]


@dataclass(frozen=True, slots=True)
class WriteDocument:
    """Put or delete a document under its lease if its ETag is still ``expected_etag``."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("write_document")
    tenant: str
    address: DocumentAddress
    token: str
    expected_etag: str | None
    document: Document | None  # None deletes it
    release_only: bool = False

    def keys(self) -> list[str]:
        return _keys(self.tenant, self.address)

    def args(self) -> list[EncodableT]:
        operation = "release" if self.release_only else "put" if self.document else "delete"
        args: list[EncodableT] = [self.token, self.expected_etag or "", operation]
        args.append(self.address.slot)
        if self.document is not None and not self.release_only:
            document = self.document
            args += [document.content_type, document.content, document.etag, document.updated_ms]
        return args


@dataclass(frozen=True, slots=True)
class Lease:
    """A document held for one write: what it holds now, and how many its context holds."""

    token: str
    current: Document | None
    context_size: int


async def take_lease(
    redis: RedisClient, tenant: str, address: DocumentAddress, token: str, lifetime_ms: int
) -> Lease | None:
    """The lease, or None while another write holds it."""
    call = TakeDocumentLease(tenant, address, token, lifetime_ms)
    answer = cast(list[int | bytes], await lua.run(redis, call))
    if answer[0] == 0:
        return None
    size = int(answer[1])
    if len(answer) == 2:
        return Lease(token, None, size)
    content_type, content, updated = cast(list[bytes], answer[2:])
    return Lease(token, Document(content_type.decode(), content, int(updated)), size)


async def write(
    redis: RedisClient,
    tenant: str,
    address: DocumentAddress,
    lease: Lease,
    document: Document | None,
) -> WriteOutcome:
    """Put ``document`` (None deletes) in place of the one the lease read; releases it."""
    expected = lease.current.etag if lease.current else None
    call = WriteDocument(tenant, address, lease.token, expected, document)
    return cast(WriteOutcome, (await lua.run(redis, call)).decode())


async def release(redis: RedisClient, tenant: str, address: DocumentAddress, lease: Lease) -> None:
    """Give the lease back without writing (the write was refused or failed)."""
    await lua.run(redis, WriteDocument(tenant, address, lease.token, None, None, True))


async def fetch(redis: RedisClient, tenant: str, address: DocumentAddress) -> Document | None:
    key = _keys(tenant, address)[0]
    held = cast(list[bytes | None], await redis.hmget(key, ["type", "content", "updated"]))
    content_type, content, updated = held
    if content_type is None or content is None or updated is None:
        return None
    return Document(content_type.decode(), content, int(updated))


@dataclass(frozen=True, slots=True)
class Listing:
    """The ids of a context's documents, and when the latest of them changed (Unix ms)."""

    ids: list[str]
    last_modified_ms: int | None


async def list_ids(
    redis: RedisClient, tenant: str, context: DocumentContext, since_ms: float | None = None
) -> Listing:
    """The ids of the context's documents changed after ``since_ms`` (exclusive), oldest
    change first; the index holds at most ``max_documents_per_context`` of them."""
    index = keys.document_ids(tenant, context.kind.value, context.digest)
    low = "-inf" if since_ms is None else f"({since_ms}"
    found = cast(
        list[tuple[bytes, float]],
        await redis.zrangebyscore(index, low, "+inf", withscores=True),
    )
    kept = [(slot.decode(), int(score)) for slot, score in found if context.holds(slot.decode())]
    return Listing(
        [document_id_of(slot) for slot, _ in kept],
        max((score for _, score in kept), default=None),
    )


async def context_addresses(
    redis: RedisClient, tenant: str, context: DocumentContext
) -> list[DocumentAddress]:
    """Every document of a context (State: of its registration, or of all when it has none)."""
    index = keys.document_ids(tenant, context.kind.value, context.digest)
    slots = [slot.decode() for slot in cast(list[bytes], await redis.zrange(index, 0, -1))]
    addresses = []
    for slot in slots:
        if context.holds(slot):
            registration = slot.split("|", 1)[0] or None
            document_context = DocumentContext(
                context.kind, context.activity_id, context.agent_ifi, registration
            )
            addresses.append(DocumentAddress(document_context, document_id_of(slot)))
    return addresses


async def restore(
    redis: RedisClient, changes: Sequence[tuple[str, DocumentAddress, Document | None]]
) -> None:
    """Write documents as the topic last holds them, unconditionally (``lr replay``), in one
    pipeline: nothing else writes while the view is rebuilt."""
    async with redis.pipeline(transaction=False) as pipe:
        for tenant, address, document in changes:
            document_key, _, index = _keys(tenant, address)
            pipe.delete(document_key)
            pipe.zrem(index, address.slot)
            if document is not None:
                pipe.hset(
                    document_key,
                    mapping={
                        "type": document.content_type,
                        "content": document.content,
                        "etag": document.etag,
                        "updated": document.updated_ms,
                    },
                )
                pipe.zadd(index, {address.slot: document.updated_ms})
        await pipe.execute()


async def forget(redis: RedisClient, tenant: str = "*") -> int:
    """Delete every document key of one tenant (or all, ``*``); the number deleted."""
    return await unlink_matching(redis, keys.document_patterns(tenant))
