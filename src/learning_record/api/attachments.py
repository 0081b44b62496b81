"""Reading attachments (xAPI Communication 2.1.3.s2.b6): GET with ``attachments=true`` answers
multipart/mixed from the attachment view. Storing them is part of accepting statements
(``services.ingest``, with the Kafka adapter in ``api.kafka_logs``).
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from aiohttp import web

from learning_record.api.app_keys import REDIS, SETTINGS
from learning_record.api.errors import ApiError
from learning_record.domain.xapi.attachments import referenced_sha2s
from learning_record.domain.xapi.multipart import build_statement_response
from learning_record.store.attachments import attachments_size, fetch_attachments


async def multipart_response(
    request: web.Request, tenant: str, first_part: bytes, documents: Sequence[bytes]
) -> web.Response:
    """The multipart/mixed answer of a GET with ``attachments=true``: ``first_part`` (what the
    JSON answer would be), then the content of every attachment of ``documents`` that has
    content here; fileUrl-only attachments have none (1.5.2.s2.b2)."""
    sha2s = referenced_sha2s(orjson.loads(document) for document in documents)
    redis = request.config_dict[REDIS]
    # Capped: any one statement's attachments fit (they came in one request body), a page of
    # many may not, and the answer is built in memory.
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
    contents = await fetch_attachments(redis, tenant, sha2s)
    body, content_type = build_statement_response(
        first_part, {sha2: (c.content_type, c.data) for sha2, c in contents.items()}
    )
    return web.Response(body=body, headers={"Content-Type": content_type})
