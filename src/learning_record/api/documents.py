"""The document resources (xAPI Communication 2.3 State, 2.6 Agent Profile, 2.7 Activity
Profile): one declaration each, thin actions over ``services.documents``.

Each resource answers GET (one document, or the ids of its context's documents), HEAD, PUT,
POST (a merge of JSON objects) and DELETE; State also deletes every document of a context.
GETs carry an ETag (the quoted SHA-1 of the body, 3.1.s4.b2) and Last-Modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial
from typing import Any

import orjson
from aiohttp import web

from learning_record.api.alternate_syntax import request_body
from learning_record.api.app_keys import DOCUMENTS
from learning_record.api.auth import Principal
from learning_record.api.endpoint import Call, Endpoint
from learning_record.api.errors import ApiError, bad_request, not_found
from learning_record.api.openapi import Operation, Reply
from learning_record.domain.access import Scope
from learning_record.domain.documents import (
    ActivityProfileParameters,
    AgentProfileParameters,
    DocumentAddress,
    DocumentContext,
    DocumentKind,
    DocumentRequest,
    Preconditions,
    StateParameters,
    etag_of,
    parse_document_request,
)
from learning_record.domain.identity import ifi_of_raw
from learning_record.services.documents import Change

_DEFAULT_CONTENT_TYPE = "application/octet-stream"  # RFC 9110 8.3: what an untyped body is


@dataclass(frozen=True, slots=True)
class _Resource:
    name: str
    section: str
    kind: DocumentKind
    parameters: type[StateParameters | ActivityProfileParameters | AgentProfileParameters]
    id_name: str
    scope: Scope
    # Profile documents: a PUT or DELETE of an existing one needs If-Match or If-None-Match.
    precondition_required: bool
    # State: a DELETE without stateId deletes every document of the context (2.3.s5).
    deletes_all: bool = False


STATE = _Resource(
    "State", "2.3", DocumentKind.STATE, StateParameters, "stateId", Scope.STATE, False, True
)
ACTIVITY_PROFILE = _Resource(
    "Activity Profile",
    "2.7",
    DocumentKind.ACTIVITY_PROFILE,
    ActivityProfileParameters,
    "profileId",
    Scope.PROFILE,
    True,
)
AGENT_PROFILE = _Resource(
    "Agent Profile",
    "2.6",
    DocumentKind.AGENT_PROFILE,
    AgentProfileParameters,
    "profileId",
    Scope.PROFILE,
    True,
)


# --- The contract (api.openapi) ----------------------------------------------------------------

_ANY_CONTENT = {"type": "string", "format": "binary", "description": "The document, any type."}
_GET_ANSWER = {
    "description": "The document as stored (its own media type), or with no document id the "
    "array of the ids of the context's documents.",
}


def _operations(resource: _Resource) -> dict[str, Operation]:
    common: dict[str, Any] = {
        "tag": "documents",
        "query": resource.parameters,
        "parse": partial(parse_document_request, resource.parameters),
    }
    done = {204: Reply("Done.")}
    preconditions = (409, 412) if resource.precondition_required else (412,)
    delete_what = "one document, or every document of the context without stateId"
    return {
        "GET": Operation(
            summary=f"A {resource.name} document, or the ids of a context's "
            f"(Communication {resource.section})",
            scopes=(resource.scope, Scope.ALL_READ),
            errors=(404,),
            replies={
                200: Reply(
                    "The document or the ids.",
                    {"*/*": _ANY_CONTENT, "application/json": _GET_ANSWER},
                    headers=("Last-Modified",),
                    required_headers=("ETag",),
                )
            },
            **common,
        ),
        "PUT": Operation(
            summary=f"Store a {resource.name} document (Communication {resource.section})",
            scopes=(resource.scope,),
            body={"*/*": _ANY_CONTENT},
            errors=preconditions,
            replies=done,
            **common,
        ),
        "POST": Operation(
            summary=f"Merge a JSON object into a {resource.name} document, or store it "
            f"(Communication 2.2.s7)",
            scopes=(resource.scope,),
            body={"*/*": _ANY_CONTENT},
            errors=(412,),
            replies=done,
            **common,
        ),
        "DELETE": Operation(
            summary=f"Delete {delete_what if resource.deletes_all else 'a document'} "
            f"({resource.name}, Communication {resource.section})",
            scopes=(resource.scope,),
            errors=preconditions,
            replies=done,
            **common,
        ),
    }


def document_endpoint(resource: _Resource) -> Endpoint:
    """The resource's action, declared for its four methods (HEAD is the GET's)."""

    async def action(call: Call[DocumentRequest]) -> web.Response:
        _check_own_agent(call.caller, call.params.context)
        method = call.request.method
        if method in ("GET", "HEAD"):
            return await _get(call, resource)
        if method == "DELETE":
            return await _delete(call, resource)
        return await _store(call, resource, merge=method == "POST")

    action.__name__ = f"{resource.kind.value.replace('-', '_')}_documents"
    action.__doc__ = f"The {resource.name} resource (Communication {resource.section})."
    return Endpoint(action, _operations(resource))


state = document_endpoint(STATE)
activity_profile = document_endpoint(ACTIVITY_PROFILE)
agent_profile = document_endpoint(AGENT_PROFILE)


# --- The actions -------------------------------------------------------------------------------


async def _get(call: Call[DocumentRequest], resource: _Resource) -> web.Response:
    asked, tenant = call.params, call.caller.tenant
    documents = call.request.config_dict[DOCUMENTS]
    if asked.document_id is None:
        listing = await documents.ids(tenant, asked.context, asked.since_ms)
        body = orjson.dumps(listing.ids)
        return etagged_response(body, "application/json", listing.last_modified_ms)
    document = await documents.fetch(tenant, _address(asked, resource))
    if document is None:
        raise not_found(
            f"no {resource.name} document with {resource.id_name} {asked.document_id!r}"
        )
    return etagged_response(document.content, document.content_type, document.updated_ms)


async def _store(call: Call[DocumentRequest], resource: _Resource, *, merge: bool) -> web.Response:
    request = call.request
    change = Change(
        content_type=request.headers.get("Content-Type", _DEFAULT_CONTENT_TYPE),
        content=await request_body(request),
        merge=merge,
        preconditions=_preconditions(request.headers),
        precondition_required=resource.precondition_required and not merge,
    )
    documents = request.config_dict[DOCUMENTS]
    await documents.change(call.caller.tenant, _address(call.params, resource), change)
    return web.Response(status=204)


async def _delete(call: Call[DocumentRequest], resource: _Resource) -> web.Response:
    asked, tenant = call.params, call.caller.tenant
    documents = call.request.config_dict[DOCUMENTS]
    if asked.document_id is None and resource.deletes_all:
        if asked.since_ms is not None:
            raise bad_request("since only lists ids: a DELETE cannot take it")
        await documents.delete_all(tenant, asked.context)
        return web.Response(status=204)
    change = Change(
        preconditions=_preconditions(call.request.headers),
        precondition_required=resource.precondition_required,
    )
    await documents.change(tenant, _address(asked, resource), change)
    return web.Response(status=204)


def _address(asked: DocumentRequest, resource: _Resource) -> DocumentAddress:
    return asked.address(resource.id_name)


def _preconditions(headers: Mapping[str, str]) -> Preconditions:
    return Preconditions.from_headers(headers.get("If-Match"), headers.get("If-None-Match"))


def etagged_response(body: bytes, content_type: str, updated_ms: int | None) -> web.Response:
    """A GET's answer with its ETag (3.1.s4.b1-b4) and, when known, its Last-Modified."""
    response = web.Response(body=body, headers={"Content-Type": content_type})
    response.headers["ETag"] = f'"{etag_of(body)}"'
    if updated_ms is not None:
        response.headers["Last-Modified"] = format_datetime(
            datetime.fromtimestamp(updated_ms / 1000, UTC), usegmt=True
        )
    return response


def _check_own_agent(principal: Principal, context: DocumentContext) -> None:
    """A key that reads only its own statements (``statements/read/mine``) reaches only its
    own Agent's documents: the Agent its statements' authority names."""
    if principal.may(Scope.STATEMENTS_READ) or not principal.may(Scope.STATEMENTS_READ_MINE):
        return
    own = ifi_of_raw(principal.authority())
    if context.agent_ifi is not None and context.agent_ifi != own:
        raise ApiError(
            403,
            "forbidden",
            "this key reaches only its own Agent's documents (statements/read/mine)",
            {"agent": own},
        )
