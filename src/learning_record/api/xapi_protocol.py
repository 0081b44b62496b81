"""The xAPI 1.0.3 rules that hold for every xAPI resource (Communication 3.3 and 1.2), and only
for them: the middlewares of the xAPI sub-app (``api.routes``). Health, indicators, ops and docs
are product endpoints with their own conventions."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.typedefs import Handler

from learning_record.api import alternate_syntax, auth
from learning_record.api.app_keys import CONSISTENCY, SETTINGS
from learning_record.api.endpoint import Call, endpoint
from learning_record.api.errors import bad_request
from learning_record.api.openapi import Operation, Reply, declared_operation
from learning_record.api.schemas import About
from learning_record.domain.ingest import iso_millis

XAPI_VERSION = "1.0.3"
SUPPORTED_VERSIONS = ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT_THROUGH_HEADER = "X-Experience-API-Consistent-Through"

# 3.3.s3: "1.0" and any "1.0.x" are accepted; anything older or 1.1+ is rejected.
_ACCEPTED_VERSION = re.compile(r"^1\.0(\.\d+)?$")


def _check_version(request: web.Request, operation: Operation | None) -> None:
    if operation is not None and not operation.version_header_required:
        return  # 3.3.s3.b4.1: /about answers clients of any version
    version = request.headers.get(VERSION_HEADER)
    if version is None:
        raise bad_request(f"the {VERSION_HEADER} header is required (xAPI 3.3)")
    if not _ACCEPTED_VERSION.match(version.strip()):
        raise bad_request(
            f"unsupported {VERSION_HEADER} {version!r}: this LRS speaks 1.0.x (xAPI 3.3)"
        )


def _check_content_type(request: web.Request, operation: Operation | None) -> None:
    """An xAPI resource answers 400, not 415, to a body of a media type it does not take."""
    if operation is None or not operation.body or "*/*" in operation.body:
        return  # the document resources store a body of any type
    if request.content_type not in operation.body:
        raise bad_request(
            f"Content-Type {request.content_type!r} cannot carry statements: "
            f"use {' or '.join(operation.body)}"
        )


@web.middleware
async def stamp_version(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every xAPI answer, errors included, says its version; statement reads say how current
    they are (Communication 2.1.3.s2.b4). Outside the sub-app's error middleware."""
    response = await handler(request)
    response.headers[VERSION_HEADER] = XAPI_VERSION
    operation = declared_operation(request, alternate_syntax.intended_method(request))
    if operation is not None and CONSISTENT_THROUGH_HEADER in operation.answered_headers:
        through = await request.config_dict[CONSISTENCY].consistent_through()
        response.headers[CONSISTENT_THROUGH_HEADER] = iso_millis(through)
    return response


@web.middleware
async def check_request(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The alternate syntax (Communication 1.3), the version header and the media type."""
    if alternate_syntax.is_alternate(request):
        await _authenticate_before_the_form(request)
        # The headers to check are in the form: check the request it stands for.
        request = await alternate_syntax.rewritten(request)
        handler = alternate_syntax.dispatch
    operation = declared_operation(request, request.method)
    _check_version(request, operation)
    _check_content_type(request, operation)
    return await handler(request)


async def _authenticate_before_the_form(request: web.Request) -> None:
    """No body is read before a key is checked: credentials in a header are checked before the
    form is; a form whose credentials are inside it is read only when it is small."""
    if auth.has_credentials(request):
        await auth.identify(request)
        return
    most = request.config_dict[SETTINGS].api.unauthenticated_form_max_bytes
    length = request.content_length
    if length is None or length > most:
        raise auth.unauthorized(
            f"a form over {most} bytes (or of unknown length) needs its credentials in a "
            "header: x-api-key or Authorization"
        )


@endpoint(
    GET=Operation(
        summary="The xAPI versions this LRS speaks (Communication 2.8)",
        tag="xapi",
        version_header_required=False,
        replies={200: Reply("The versions.", {"application/json": About})},
    )
)
async def about(call: Call[None]) -> web.Response:
    return web.json_response(About(version=SUPPORTED_VERSIONS).model_dump())
