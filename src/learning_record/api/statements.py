"""The statement resource (xAPI Communication 2.1): thin actions over the domain and the store.

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
from datetime import UTC
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from learning_record.api.alternate_syntax import request_body
from learning_record.api.app_keys import INTAKE, REDIS, SETTINGS
from learning_record.api.attachments import multipart_response
from learning_record.api.auth import Principal
from learning_record.api.endpoint import Call, endpoint
from learning_record.api.errors import ApiError, bad_request, not_found
from learning_record.api.metrics import count_accepted
from learning_record.api.openapi import Operation, Reply
from learning_record.api.schemas import StatementResult
from learning_record.api.usage import KeyQuota
from learning_record.domain.access import Scope, written_by_key
from learning_record.domain.json_input import loads_bounded
from learning_record.domain.statement_formats import formatted
from learning_record.domain.statement_query import (
    QueryInvalid,
    QueryUuid,
    SingleStatement,
    StatementParameters,
    StatementQuery,
    more_parameters,
    parse_statement_request,
)
from learning_record.domain.xapi import multipart
from learning_record.domain.xapi.common import Timestamp
from learning_record.domain.xapi.multipart import StatementRequest, check_json_only_attachments
from learning_record.domain.xapi.statements import Statement, parse_statements
from learning_record.services.ingest import Submission
from learning_record.store.attachments import AttachmentContent
from learning_record.store.statement_query import fetch_page
from learning_record.store.statements import fetch_single

_PUT_PARAMETERS = frozenset({"statementId"})


class PutParameters(BaseModel):
    """PUT /statements parameters (2.1.1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statement_id: QueryUuid = Field(alias="statementId")


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


def _statement_request(params: Mapping[str, str]) -> SingleStatement | StatementQuery:
    try:
        return parse_statement_request(params)
    except QueryInvalid as error:
        raise bad_request(str(error), {"parameter": error.parameter}) from error


# --- The contract (api.openapi) ----------------------------------------------------------------

_MULTIPART = {
    "type": "string",
    "description": "multipart/mixed: the statements (application/json) first, then one part per "
    "attachment's data, with X-Experience-API-Hash (Communication 1.5.2).",
}
_STATEMENTS_IN = {"application/json": Statement | list[Statement], "multipart/mixed": _MULTIPART}


@endpoint(
    POST=Operation(
        summary="Store one statement or a batch, all or nothing (Communication 2.1.2)",
        tag="statements",
        scopes=(Scope.STATEMENTS_WRITE,),
        body=_STATEMENTS_IN,
        errors=(409, 413),
        replies={200: Reply("The statements' ids, in order.", {"application/json": list[str]})},
    )
)
async def post_statements(call: Call[None]) -> web.Response:
    ids = await _accept(call, await _statement_body(call.request))
    return web.json_response(ids, dumps=_dumps)


@endpoint(
    PUT=Operation(
        summary="Store one statement under the given id (Communication 2.1.1)",
        tag="statements",
        scopes=(Scope.STATEMENTS_WRITE,),
        query=PutParameters,
        parse=_put_statement_id,
        body={"application/json": Statement, "multipart/mixed": _MULTIPART},
        errors=(409,),
        replies={204: Reply("Stored, or the same statement was already stored.")},
    )
)
async def put_statement(call: Call[str]) -> web.Response:
    statement_id = call.params
    received = await _statement_body(call.request, single=True)
    statement = received.statements[0]
    if statement.id is not None and uuid.UUID(statement.id) != uuid.UUID(statement_id):
        raise bad_request(
            "the statement's id differs from the statementId parameter (2.1.1.s3.b3)",
            {"path": "id", "statementId": statement_id},
        )
    await _accept(call, received, statement_id)
    return web.Response(status=204)


@endpoint(
    GET=Operation(
        summary="One statement by id, or a page of a query (Communication 2.1.3)",
        tag="statements",
        scopes=(Scope.STATEMENTS_READ, Scope.STATEMENTS_READ_MINE),
        query=StatementParameters,
        parse=_statement_request,
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
    )
)
async def get_statements(call: Call[SingleStatement | StatementQuery]) -> web.Response:
    """One statement or a page of a query, from the query string (or the alternate syntax's form).

    A key with ``statements/read/mine`` only (xAPI Communication 4.2) sees the statements whose
    authority is itself, as if the others did not exist: a 404 by id, absent from queries."""
    request, principal, asked = call.request, call.caller, call.params
    params = request.query
    keep = None if principal.may(Scope.STATEMENTS_READ) else _written_by(principal)
    redis = request.config_dict[REDIS]
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
        asked = replace(asked, agents=(*asked.agents, principal.authority_filter()))
    page = await fetch_page(redis, principal.tenant, asked.keyed(call.learner_id), keep)
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
    call: Call[Any], received: StatementRequest, statement_id: str | None = None
) -> list[str]:
    """Hand the statements to the intake (``services.ingest``); the ids, in order."""
    principal = call.caller
    submission = Submission(
        tenant=principal.tenant,
        authority=principal.authority(),
        statements=received.statements,
        attachments=_contents(received),
        statement_id=statement_id,
        defines=principal.may(Scope.DEFINE),
    )
    intake = call.request.config_dict[INTAKE]
    accepted = await intake.accept(submission, KeyQuota(call.request, principal.key))
    count_accepted(accepted.stored)
    return accepted.ids


# --- Helpers ----------------------------------------------------------------------------------


async def _statement_body(request: web.Request, *, single: bool = False) -> StatementRequest:
    """The statements of a PUT (``single``) or POST, with the attachment content they came with.

    multipart/mixed is split and matched by ``multipart.parse_statement_request``; in
    application/json every attachment needs a fileUrl (1.5.2.s2.b1). Either way signatures are
    verified (Data 2.6) and a failed check is a ``StatementInvalid`` (400).
    """
    body = await request_body(request)
    most = request.config_dict[SETTINGS].api.max_statements_per_request
    if request.content_type == multipart.MULTIPART_MIXED:
        # The raw header: the parser needs its boundary parameter.
        received = multipart.parse_statement_request(body, request.headers["Content-Type"])
        if single and received.in_array:
            raise _array_in_put()
        _check_count(len(received.statements), most)
        return received
    raw = loads_bounded(body)
    in_array = isinstance(raw, list)
    if single and in_array:
        raise _array_in_put()
    _check_count(len(raw) if in_array else 1, most)  # before validating any of them
    statements = parse_statements(raw)
    check_json_only_attachments(statements, in_array=in_array)
    return StatementRequest(statements, attachments={}, content_types={}, in_array=in_array)


def _check_count(count: int, most: int) -> None:
    if count > most:
        raise ApiError(
            413,
            "too_many_statements",
            f"the batch has {count} statements, over the limit of {most}: send several batches",
            {"limit": most, "count": count},
        )


def _array_in_put() -> ApiError:
    return bad_request("PUT stores a single statement, not an array (2.1.1)")


def _contents(received: StatementRequest) -> dict[str, AttachmentContent]:
    return {
        sha2: AttachmentContent(received.content_types[sha2], data)
        for sha2, data in received.attachments.items()
    }


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
