"""The attachment view: the serving copy of attachment content, by tenant and SHA-2, and who
owns each attachment.

The durable copy is the compacted attachments topic (record ``<tenant>|<sha2>``); the API writes
here only after Kafka has acknowledged that record, so content found here is always stored.
SHA-2s are lowercase hex throughout.

Content is stored once per tenant, however many statements reference it. Its owners are the
learner ids of the owners of those statements (the ones whose keys seal them): an erasure takes
the learner off the owners of each attachment their statements reference, and deletes the
content that nobody owns any more (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from learning_record.store import keys
from learning_record.store.connection import RedisClient

_TYPE_FIELD = "type"
_DATA_FIELD = "data"


@dataclass(frozen=True, slots=True)
class AttachmentContent:
    content_type: str
    data: bytes


async def missing_attachments(redis: RedisClient, tenant: str, sha2s: Iterable[str]) -> set[str]:
    """Those of the SHA-2s whose content the view does not hold."""
    wanted = sorted(set(sha2s))
    if not wanted:
        return set()
    async with redis.pipeline(transaction=False) as pipe:
        for sha2 in wanted:
            pipe.exists(keys.attachment(tenant, sha2))
        found = await pipe.execute()
    return {sha2 for sha2, exists in zip(wanted, found, strict=True) if not exists}


async def write_attachments(
    redis: RedisClient, tenant: str, contents: Mapping[str, AttachmentContent]
) -> None:
    """Store content by SHA-2; the same SHA-2 is the same data, so an overwrite is harmless."""
    if not contents:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for sha2, content in contents.items():
            pipe.hset(
                keys.attachment(tenant, sha2),
                mapping={_TYPE_FIELD: content.content_type, _DATA_FIELD: content.data},
            )
        await pipe.execute()


async def attachments_size(redis: RedisClient, tenant: str, sha2s: Iterable[str]) -> int:
    """The bytes of content the view holds for the SHA-2s, without reading it."""
    wanted = list(dict.fromkeys(sha2s))
    if not wanted:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for sha2 in wanted:
            pipe.hstrlen(keys.attachment(tenant, sha2), _DATA_FIELD)
        return sum(cast(list[int], await pipe.execute()))


async def fetch_attachment(redis: RedisClient, tenant: str, sha2: str) -> AttachmentContent | None:
    """The content the view holds for one SHA-2, or None: answers read one attachment at a time
    so that a page of them never sits in memory at once."""
    content_type, data = cast(
        list[bytes | None],
        await redis.hmget(keys.attachment(tenant, sha2), [_TYPE_FIELD, _DATA_FIELD]),
    )
    if content_type is None or data is None:
        return None
    return AttachmentContent(content_type.decode(), data)


# The owner of a statement whose actor identifies nobody, which no erasure names.
_NOBODY = "-"


async def own_attachments(
    redis: RedisClient, tenant: str, owning: Sequence[tuple[str | None, Sequence[str]]]
) -> None:
    """Add each statement's owner (a learner id, or None) to the owners of the attachments it
    references. Called before the statements are in the view, so that an erasure never misses
    an owner: one whose statement turns out not to be stored is one owner too many, which only
    keeps content longer."""
    if not any(sha2s for _, sha2s in owning):
        return
    async with redis.pipeline(transaction=False) as pipe:
        for owner, sha2s in owning:
            for sha2 in sha2s:
                pipe.sadd(keys.attachment_owners(tenant, sha2), owner or _NOBODY)
        await pipe.execute()


async def release_attachments(
    redis: RedisClient, tenant: str, owner: str, sha2s: Sequence[str]
) -> list[str]:
    """Take ``owner`` off the owners of these attachments; those nobody owns any more, whose
    content an erasure deletes. The same answer when called again."""
    if not sha2s:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for sha2 in sha2s:
            pipe.srem(keys.attachment_owners(tenant, sha2), owner)
            pipe.scard(keys.attachment_owners(tenant, sha2))
        replies = await pipe.execute()
    return [sha2 for sha2, owners in zip(sha2s, replies[1::2], strict=True) if owners == 0]


async def forget_attachments(redis: RedisClient, tenant: str, sha2s: Sequence[str]) -> None:
    """Delete the content of attachments nobody owns from the view (once tombstoned on their
    topic)."""
    if sha2s:
        await redis.delete(*(keys.attachment(tenant, sha2) for sha2 in sha2s))
