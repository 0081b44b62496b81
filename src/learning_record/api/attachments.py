"""Attachments of the statement resource (xAPI Communication 1.5.2 and 2.1.3.s2.b6).

Content is made durable before the statements that point to it: each new attachment goes to the
compacted attachments topic as the record ``<tenant>|<sha2>``, every ack is awaited, and only
then is it written to the Redis view and the statements produced. GET with ``attachments=true``
answers multipart/mixed from that view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson
from aiohttp import web

from learning_record.api.app_keys import PRODUCER, REDIS, SETTINGS
from learning_record.domain import ingest
from learning_record.domain.xapi.multipart import build_statement_response
from learning_record.store.attachments import (
    AttachmentContent,
    fetch_attachments,
    missing_attachments,
    write_attachments,
)

CONTENT_TYPE_HEADER = "content-type"


async def store_attachments(
    request: web.Request, tenant: str, contents: Mapping[str, AttachmentContent]
) -> None:
    """Produce the content the view lacks to the attachments topic, wait for every ack, then
    write it to the view. Content already in the view is on the topic already: stored once."""
    redis = request.app[REDIS]
    missing = sorted(await missing_attachments(redis, tenant, contents))
    if not missing:
        return
    producer = request.app[PRODUCER]
    topic = request.app[SETTINGS].kafka.attachments_topic
    deliveries = [
        await producer.send(
            topic,
            key=f"{tenant}|{sha2}".encode(),
            value=contents[sha2].data,
            headers=[
                (CONTENT_TYPE_HEADER, contents[sha2].content_type.encode()),
                (ingest.TENANT_HEADER, tenant.encode()),
            ],
        )
        for sha2 in missing
    ]
    await asyncio.gather(*deliveries)
    await write_attachments(redis, tenant, {sha2: contents[sha2] for sha2 in missing})


def referenced_sha2s(documents: Iterable[Mapping[str, Any]]) -> list[str]:
    """The lowercase SHA-2 of each attachment of the statements and of their SubStatements,
    once each, in order of appearance (Data 2.4.11)."""
    return list(dict.fromkeys(_sha2s(documents)))


def _sha2s(documents: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    for document in documents:
        target = document.get("object")
        holders = [document]
        if isinstance(target, dict) and target.get("objectType") == "SubStatement":
            holders.append(target)
        for holder in holders:
            for attachment in holder.get("attachments") or ():
                yield str(attachment["sha2"]).lower()


async def multipart_response(
    request: web.Request, tenant: str, first_part: bytes, documents: Sequence[bytes]
) -> web.Response:
    """The multipart/mixed answer of a GET with ``attachments=true``: ``first_part`` (what the
    JSON answer would be), then the content of every attachment of ``documents`` that has
    content here; fileUrl-only attachments have none (1.5.2.s2.b2)."""
    sha2s = referenced_sha2s(orjson.loads(document) for document in documents)
    contents = await fetch_attachments(request.app[REDIS], tenant, sha2s)
    body, content_type = build_statement_response(
        first_part, {sha2: (c.content_type, c.data) for sha2, c in contents.items()}
    )
    return web.Response(body=body, headers={"Content-Type": content_type})
