"""The xAPI 1.0.3 rules that hold for every xAPI resource (Communication 3.3 and 1.2), and only
for them: health, indicators, ops and docs are product endpoints with their own conventions."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from learning_record.api import alternate_syntax
from learning_record.api.app_keys import CONSISTENCY
from learning_record.api.errors import bad_request
from learning_record.api.openapi import Operation, Reply, documented
from learning_record.api.schemas import About
from learning_record.domain.ingest import iso_millis

XAPI_VERSION = "1.0.3"
SUPPORTED_VERSIONS = ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT_THROUGH_HEADER = "X-Experience-API-Consistent-Through"

# 3.3.s3: "1.0" and any "1.0.x" are accepted; anything older or 1.1+ is rejected.
_ACCEPTED_VERSION = re.compile(r"^1\.0(\.\d+)?$")
_STATEMENT_WRITE_TYPES = {"application/json", "multipart/mixed"}


def is_xapi_resource(path: str, base_path: str) -> bool:
    return path in (f"{base_path}/statements", f"{base_path}/about")


def _check_version(request: web.Request, base_path: str) -> None:
    if request.path == f"{base_path}/about":
        return  # 3.3.s3.b4.1: /about answers clients of any version
    version = request.headers.get(VERSION_HEADER)
    if version is None:
        raise bad_request(f"the {VERSION_HEADER} header is required (xAPI 3.3)")
    if not _ACCEPTED_VERSION.match(version.strip()):
        raise bad_request(
            f"unsupported {VERSION_HEADER} {version!r}: this LRS speaks 1.0.x (xAPI 3.3)"
        )


def _check_content_type(request: web.Request, base_path: str) -> None:
    writes = request.method in ("POST", "PUT") and request.path == f"{base_path}/statements"
    if (
        writes
        and "method" not in request.query
        and request.content_type not in (_STATEMENT_WRITE_TYPES)
    ):
        raise bad_request(
            f"Content-Type {request.content_type!r} cannot carry statements: "
            "use application/json, or multipart/mixed with attachments"
        )


def xapi_middlewares(base_path: str) -> tuple[Middleware, Middleware]:
    """(outer, inner): the outer one stamps the version on every xAPI response, errors
    included, so it must sit outside the error middleware; the inner one checks the request."""

    @web.middleware
    async def stamp_version(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if is_xapi_resource(request.path, base_path):
            response.headers[VERSION_HEADER] = XAPI_VERSION
            method = alternate_syntax.intended_method(request)
            if method in ("GET", "HEAD") and request.path == f"{base_path}/statements":
                through = await request.app[CONSISTENCY].consistent_through()
                response.headers[CONSISTENT_THROUGH_HEADER] = iso_millis(through)
        return response

    @web.middleware
    async def check_request(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_xapi_resource(request.path, base_path):
            return await handler(request)
        if alternate_syntax.is_alternate(request):
            # The headers to check are in the form: check the request it stands for.
            request = await alternate_syntax.rewritten(request)
            handler = alternate_syntax.dispatch
        _check_version(request, base_path)
        _check_content_type(request, base_path)
        return await handler(request)

    return stamp_version, check_request


@documented(
    "GET",
    Operation(
        summary="The xAPI versions this LRS speaks (Communication 2.8)",
        tag="xapi",
        xapi=True,
        version_header_required=False,
        replies={200: Reply("The versions.", {"application/json": About})},
    ),
)
async def about(request: web.Request) -> web.Response:
    return web.json_response(About(version=SUPPORTED_VERSIONS).model_dump())
