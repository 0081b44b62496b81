"""Reading attachments (xAPI Communication 2.1.3.s2.b6): GET with ``attachments=true`` answers
multipart/mixed from the attachment view. Storing them is part of accepting statements
(``services.ingest``, with the Kafka adapter in ``api.kafka_logs``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import orjson
from aiohttp import web
from aiohttp.payload import AsyncIterablePayload

from learning_record.api.app_keys import REDIS, SETTINGS
from learning_record.api.errors import ApiError
from learning_record.domain.xapi.attachments import referenced_sha2s
from learning_record.domain.xapi.multipart import StatementResponse
from learning_record.store.attachments import attachments_size, fetch_attachment
from learning_record.store.connection import RedisClient

# An attachment's data is written in slices of this size, each sent (the transport drained)
# before the next: the answer holds one attachment read from Redis plus one slice in memory.
CHUNK_BYTES = 64 * 1024


async def multipart_response(
    request: web.Request, tenant: str, first_part: bytes, documents: Sequence[bytes]
) -> web.Response:
    """The multipart/mixed answer of a GET with ``attachments=true``: ``first_part`` (what the
    JSON answer would be), then the content of every attachment of ``documents`` that has
    content here; fileUrl-only attachments have none (1.5.2.s2.b2).

    The body streams (chunked): the first part is sent before any attachment is read, then each
    attachment as it is read. The middlewares still set the headers, since aiohttp writes the
    body only once the handler and they have returned."""
    sha2s = referenced_sha2s(orjson.loads(document) for document in documents)
    redis = request.config_dict[REDIS]
    # Capped: any one statement's attachments fit (they came in one request body), a page of
    # many may not; past the cap a client asks for fewer statements rather than holding a
    # connection (and a Redis read per attachment) for an answer of unbounded size.
    most = request.config_dict[SETTINGS].api.max_body_bytes
    size = await attachments_size(redis, tenant, sha2s)
    if size > most:
        raise ApiError(
            413,
            "attachments_too_large",
            f"the attachments of these statements are {size} bytes, over the limit of {most}: "
            "ask for fewer statements (limit)",
            {"limit": most, "size": size},
        )
    answer = StatementResponse(first_part)
    body = AsyncIterablePayload(
        _streamed(redis, tenant, answer, sha2s), content_type=answer.content_type
    )
    return web.Response(body=body, headers={"Content-Type": answer.content_type})


async def _streamed(
    redis: RedisClient, tenant: str, answer: StatementResponse, sha2s: Sequence[str]
) -> AsyncIterator[bytes]:
    yield answer.opening()
    for sha2 in sha2s:
        content = await fetch_attachment(redis, tenant, sha2)
        if content is None:  # a fileUrl-only attachment
            continue
        yield answer.attachment_head(sha2, content.content_type)
        for start in range(0, len(content.data), CHUNK_BYTES):
            yield content.data[start : start + CHUNK_BYTES]
    yield answer.closing()
