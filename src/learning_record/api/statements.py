"""The statement resource (xAPI Communication 2.1): thin views over the domain and the store.

Accepting a batch: assign id and authority, reserve every id for its content in Redis (all or
nothing; 409 when an id holds other content), store its attachments' content (``api.attachments``),
produce the batch as one Kafka record, wait for the ack, then write it into the view. An id
reserved by a request whose produce failed stays "pending": the same content sent again is
produced again.

Statements come as application/json, or as multipart/mixed with their attachments' content
(Communication 1.5); signed statements are verified while the body is read (Data 2.6).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from learning_record.api.alternate_syntax import request_body
from learning_record.api.app_keys import PRODUCER, REDIS, SETTINGS
from learning_record.api.attachments import multipart_response, referenced_sha2s, store_attachments
from learning_record.api.auth import Principal, authenticate
from learning_record.api.errors import ApiError, bad_request, not_found
from learning_record.api.metrics import count_accepted
from learning_record.api.openapi import Operation, Reply, documented
from learning_record.api.schemas import StatementResult
from learning_record.api.usage import give_back_statements, take_statements
from learning_record.domain import ingest
from learning_record.domain.access import Scope, is_lrs_account, written_by_key
from learning_record.domain.indicators.windows import iso_utc
from learning_record.domain.statement_formats import formatted
from learning_record.domain.statement_index import (
    StatementConflict,
    check_batch,
    content_digest,
    voided_target,
)
from learning_record.domain.statement_query import (
    QueryInvalid,
    QueryUuid,
    SingleStatement,
    StatementParameters,
    more_parameters,
    parse_statement_request,
)
from learning_record.domain.xapi import multipart
from learning_record.domain.xapi.agents import Agent
from learning_record.domain.xapi.common import Timestamp
from learning_record.domain.xapi.multipart import StatementRequest, check_json_only_attachments
from learning_record.domain.xapi.statements import Statement, parse_statements
from learning_record.store.attachments import AttachmentContent
from learning_record.store.statement_entries import Claim, view_entry
from learning_record.store.statement_query import fetch_page
from learning_record.store.statements import fetch_single, reserve, write_view

_PUT_PARAMETERS = frozenset({"statementId"})


class PutParameters(BaseModel):
    """PUT /statements parameters (2.1.1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statement_id: QueryUuid = Field(alias="statementId")


# --- The contract (api.openapi) ----------------------------------------------------------------

_MULTIPART = {
    "type": "string",
    "description": "multipart/mixed: the statements (application/json) first, then one part per "
    "attachment's data, with X-Experience-API-Hash (Communication 1.5.2).",
}
_STATEMENTS_IN = {"application/json": Statement | list[Statement], "multipart/mixed": _MULTIPART}


@documented(
    "POST",
    Operation(
        summary="Store one statement or a batch, all or nothing (Communication 2.1.2)",
        tag="statements",
        xapi=True,
        scopes=(Scope.STATEMENTS_WRITE,),
        body=_STATEMENTS_IN,
        errors=(409,),
        replies={200: Reply("The statements' ids, in order.", {"application/json": list[str]})},
    ),
)
async def post_statements(request: web.Request) -> web.Response:
    principal = await authenticate(request, Scope.STATEMENTS_WRITE)
    received = await _statement_body(request)
    ids = await _accept(request, principal, received.statements, _contents(received))
    return web.json_response(ids, dumps=_dumps)


@documented(
    "PUT",
    Operation(
        summary="Store one statement under the given id (Communication 2.1.1)",
        tag="statements",
        xapi=True,
        scopes=(Scope.STATEMENTS_WRITE,),
        query=PutParameters,
        body={"application/json": Statement, "multipart/mixed": _MULTIPART},
        errors=(409,),
        replies={204: Reply("Stored, or the same statement was already stored.")},
    ),
)
async def put_statement(request: web.Request) -> web.Response:
    principal = await authenticate(request, Scope.STATEMENTS_WRITE)
    statement_id = _put_statement_id(request.query)
    received = await _statement_body(request, single=True)
    statement = received.statements[0]
    if statement.id is not None and uuid.UUID(statement.id) != uuid.UUID(statement_id):
        raise bad_request(
            "the statement's id differs from the statementId parameter (2.1.1.s3.b3)",
            {"path": "id", "statementId": statement_id},
        )
    await _accept(request, principal, [statement], _contents(received), single_id=statement_id)
    return web.Response(status=204)


@documented(
    "GET",
    Operation(
        summary="One statement by id, or a page of a query (Communication 2.1.3)",
        tag="statements",
        xapi=True,
        scopes=(Scope.STATEMENTS_READ, Scope.STATEMENTS_READ_MINE),
        query=StatementParameters,
        errors=(404,),
        description="With statementId or voidedStatementId: that statement. Otherwise a page "
        "of the statements matching every filter, newest stored first unless ascending=true; "
        "more is the next page. A key with statements/read/mine sees only the statements whose "
        "authority is itself. Long queries can be sent as POST with method=GET and a form body "
        "(Communication 1.3).",
        replies={
            200: Reply(
                "The statement, or a StatementResult; multipart/mixed with attachments=true.",
                {
                    "application/json": Statement | StatementResult,
                    "multipart/mixed": {"type": "string"},
                },
                headers=("Last-Modified",),
                required_headers=("X-Experience-API-Consistent-Through",),
            )
        },
    ),
)
async def get_statements(request: web.Request) -> web.Response:
    return await query_statements(request, request.query)


async def query_statements(request: web.Request, params: Mapping[str, str]) -> web.Response:
    """GET /statements from its parameters, wherever they came from (query string or form).

    A key with ``statements/read/mine`` only (xAPI Communication 4.2) sees the statements whose
    authority is itself, as if the others did not exist: a 404 by id, absent from queries."""
    principal = await authenticate(request, Scope.STATEMENTS_READ, Scope.STATEMENTS_READ_MINE)
    keep = None if principal.may(Scope.STATEMENTS_READ) else _written_by(principal)
    try:
        asked = parse_statement_request(params)
    except QueryInvalid as error:
        raise bad_request(str(error), {"parameter": error.parameter}) from error
    redis = request.app[REDIS]
    language = request.headers.get("Accept-Language")
    # Checked by parse_statement_request: "true" or "false", default false.
    with_attachments = params.get("attachments") == "true"
    if isinstance(asked, SingleStatement):
        document = await fetch_single(
            redis, principal.tenant, asked.statement_id, voided=asked.voided
        )
        if document is None or (keep is not None and not keep(document)):
            raise not_found(f"no statement with id {asked.statement_id!r}")
        shaped = _shaped([document], asked.format, language)[0]
        response = await _answer(request, principal.tenant, shaped, [document], with_attachments)
        response.headers["Last-Modified"] = _http_date(orjson.loads(document)["stored"])
        return response
    if keep is not None:
        # Narrow the walk to the statements related to the key's authority (2.1.3.s1).
        asked = replace(asked, terms=(*asked.terms, principal.authority_term()))
    page = await fetch_page(redis, principal.tenant, asked, keep)
    more = ""
    if page.next_cursor is not None:
        more = f"{request.path}?{urlencode(more_parameters(params, page.next_cursor))}"
    statements = _shaped(page.documents, asked.format, language)
    result = {"statements": statements, "more": more}
    return await _answer(request, principal.tenant, result, page.documents, with_attachments)


async def _answer(
    request: web.Request,
    tenant: str,
    value: Any,
    documents: Sequence[bytes],
    with_attachments: bool,
) -> web.Response:
    """JSON, or multipart/mixed with the statements' attachments when asked (2.1.3.s2.b6-7)."""
    if not with_attachments:
        return _json(value)
    return await multipart_response(request, tenant, orjson.dumps(value), documents)


def _written_by(principal: Principal) -> Callable[[bytes], bool]:
    key_id = principal.key.key_id
    return lambda document: written_by_key(orjson.loads(document), key_id)


# --- Accepting statements ---------------------------------------------------------------------


async def _accept(
    request: web.Request,
    principal: Principal,
    statements: Sequence[Statement],
    attachments: Mapping[str, AttachmentContent],
    single_id: str | None = None,
) -> list[str]:
    """Reserve, produce and write a batch; the ids of its statements, in order.

    ``attachments`` is the content received with the batch, by lowercase hex SHA-2."""
    now = datetime.now(UTC)
    documents = [
        _without_claimed_lrs_authority(s)
        .with_lrs_fields(
            id=single_id, stored=ingest.iso_millis(now), authority=principal.authority()
        )
        .to_document()
        for s in statements
    ]
    check_batch(documents)
    claims = [Claim(str(d["id"]), content_digest(d), voided_target(d)) for d in documents]
    try:
        reservations = await reserve(
            request.app[REDIS], principal.tenant, claims, round(now.timestamp() * 1000)
        )
    except StatementConflict as error:
        raise ApiError(409, "conflict", str(error), {"statementId": error.statement_id}) from error
    due: list[dict[str, Any]] = []
    for document, reservation in zip(documents, reservations, strict=True):
        if reservation.state != "stored":
            document["stored"] = iso_utc(reservation.stored_ms)
            due.append(document)
    if due:
        # Statements stored earlier had their attachments stored with them.
        due_attachments = {
            sha2: attachments[sha2] for sha2 in referenced_sha2s(due) if sha2 in attachments
        }
        await _produce_and_write(request, principal, due, due_attachments)
    return [str(d["id"]) for d in documents]


async def _produce_and_write(
    request: web.Request,
    principal: Principal,
    documents: Sequence[dict[str, Any]],
    attachments: Mapping[str, AttachmentContent],
) -> None:
    tenant = principal.tenant
    serialised = [orjson.dumps(d) for d in documents]
    # Only statements stored now count against the monthly quota, not same-content repeats.
    await take_statements(request, principal.key, len(documents))
    try:
        # Acknowledged statements never point to content that is not stored (1.5.2).
        await store_attachments(request, tenant, attachments)
        # The whole batch is one record: Kafka stores all of it or none of it.
        settings = request.app[SETTINGS]
        value = b"[" + b",".join(serialised) + b"]"
        signing_key = settings.ingest.signing_key.get_secret_value().encode()
        await request.app[PRODUCER].send_and_wait(
            settings.kafka.statements_topic,
            value=value,
            key=str(documents[0]["id"]).encode(),
            headers=[
                (ingest.TENANT_HEADER, tenant.encode()),
                (ingest.SOURCE_HEADER, ingest.SOURCE_API),
                (ingest.SIGNATURE_HEADER, ingest.signature(signing_key, tenant, value)),
            ],
        )
    except BaseException:
        await give_back_statements(request, principal.key, len(documents))
        raise
    # Read-your-writes: the view has the batch before the client hears of it.
    entries = [view_entry(d, s) for d, s in zip(documents, serialised, strict=True)]
    await write_view(request.app[REDIS], tenant, entries)
    count_accepted(request, len(documents))


# --- Helpers ----------------------------------------------------------------------------------


async def _statement_body(request: web.Request, *, single: bool = False) -> StatementRequest:
    """The statements of a PUT (``single``) or POST, with the attachment content they came with.

    multipart/mixed is split and matched by ``multipart.parse_statement_request``; in
    application/json every attachment needs a fileUrl (1.5.2.s2.b1). Either way signatures are
    verified (Data 2.6) and a failed check is a ``StatementInvalid`` (400).
    """
    body = await request_body(request)
    if request.content_type == multipart.MULTIPART_MIXED:
        # The raw header: the parser needs its boundary parameter.
        received = multipart.parse_statement_request(body, request.headers["Content-Type"])
        if single and received.in_array:
            raise _array_in_put()
        return received
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise bad_request(f"malformed JSON: {error}") from error
    in_array = isinstance(raw, list)
    if single and in_array:
        raise _array_in_put()
    statements = parse_statements(raw)
    check_json_only_attachments(statements, in_array=in_array)
    return StatementRequest(statements, attachments={}, content_types={}, in_array=in_array)


def _without_claimed_lrs_authority(statement: Statement) -> Statement:
    """The statement without an authority in the LRS's own namespace, which only the LRS
    assigns (Data 2.4.9: it SHOULD overwrite the authority from the credentials): a client
    cannot pass its statements off as another key's, nor as a direct Kafka producer's."""
    account = statement.authority.account if isinstance(statement.authority, Agent) else None
    if account is not None and is_lrs_account(str(account.home_page)):
        return statement.model_copy(update={"authority": None})
    return statement


def _array_in_put() -> ApiError:
    return bad_request("PUT stores a single statement, not an array (2.1.1)")


def _contents(received: StatementRequest) -> dict[str, AttachmentContent]:
    return {
        sha2: AttachmentContent(received.content_types[sha2], data)
        for sha2, data in received.attachments.items()
    }


def _put_statement_id(params: Mapping[str, str]) -> str:
    unknown = sorted(set(params) - _PUT_PARAMETERS)
    if unknown:
        raise bad_request(f"{unknown[0]}: is not a parameter of PUT /statements")
    if not params.get("statementId"):
        raise bad_request("statementId is required to PUT a statement (2.1.1)")
    try:
        return PutParameters.model_validate(dict(params)).statement_id
    except ValidationError as error:
        raise bad_request("statementId: must be a UUID") from error


def _shaped(documents: Sequence[bytes], shape: str, language: str | None) -> list[Any]:
    if shape == "exact":
        return [orjson.Fragment(document) for document in documents]
    return [formatted(orjson.loads(document), shape, language) for document in documents]


def _json(value: Any) -> web.Response:
    return web.Response(body=orjson.dumps(value), content_type="application/json")


def _http_date(stored: str) -> str:
    # 2.1.3.s2.b8: the Last-Modified of a statement is its stored time.
    return format_datetime(Timestamp.parse(stored).as_datetime.astimezone(UTC), usegmt=True)


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()
