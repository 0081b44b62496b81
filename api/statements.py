"""The statement resource: thin views over the domain and the statement view."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from aiohttp import web

from api.auth import authenticate
from api.errors import bad_request, not_found
from api.resources import PRODUCER, REDIS, SETTINGS
from learning_domain import ingest
from learning_domain.access import Scope
from learning_domain.xapi.statements import parse_statements
from serving.statements import fetch_statement, store_statements


async def post_statements(request: web.Request) -> web.Response:
    principal = await authenticate(request, Scope.STATEMENTS_WRITE)
    try:
        raw = orjson.loads(await request.read())
    except orjson.JSONDecodeError as error:
        raise bad_request(f"malformed JSON: {error}") from error
    stored = ingest.iso_millis(datetime.now(UTC))
    authority = principal.authority()
    statements = [
        s.with_lrs_fields(id=None, stored=stored, authority=authority)
        for s in parse_statements(raw)
    ]
    documents = [(str(s.id), orjson.dumps(s.to_document())) for s in statements]
    # The whole batch is one record: Kafka stores all of it or none of it.
    record = b"[" + b",".join(document for _, document in documents) + b"]"
    await request.app[PRODUCER].send_and_wait(
        request.app[SETTINGS].kafka.statements_topic,
        value=record,
        key=documents[0][0].encode(),
        headers=[
            (ingest.TENANT_HEADER, principal.tenant.encode()),
            (ingest.SOURCE_HEADER, ingest.SOURCE_API),
        ],
    )
    # Read-your-writes: the view has the batch before the client hears of it.
    await store_statements(request.app[REDIS], principal.tenant, documents)
    return web.json_response([statement_id for statement_id, _ in documents], dumps=_dumps)


async def get_statement(request: web.Request) -> web.Response:
    principal = await authenticate(request, Scope.STATEMENTS_READ)
    statement_id = request.query.get("statementId")
    if not statement_id:
        raise bad_request("statementId is required")
    document = await fetch_statement(request.app[REDIS], principal.tenant, statement_id)
    if document is None:
        raise not_found(f"no statement with id {statement_id!r}")
    return web.Response(body=document, content_type="application/json")


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()
