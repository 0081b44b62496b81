"""xAPI alternate request syntax (Communication 1.3): ``POST …?method=GET|PUT|POST`` with the
headers, query parameters and content in a form body. Browsers that cannot set headers use it,
and so does anyone whose query would make a URL too long."""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from learning_record.api.errors import bad_request

# 1.3.s3.b6: form parameters that stand for headers.
_HEADER_FIELDS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}
_METHODS = {"GET", "PUT", "POST", "DELETE"}
_CONTENT = web.RequestKey("alternate_content", bytes)
_METHOD = web.RequestKey("alternate_method", str)


def is_alternate(request: web.Request) -> bool:
    return request.method == "POST" and "method" in request.query


def intended_method(request: web.Request) -> str:
    """The method a request stands for: its own, or the ``method`` of the alternate syntax."""
    return request.get(_METHOD) or request.method


async def request_body(request: web.Request) -> bytes:
    """The request's content: the ``content`` form field of an alternate request, else the body."""
    content = request.get(_CONTENT)
    return content if content is not None else await request.read()


async def rewritten(request: web.Request) -> web.Request:
    """The request that the alternate syntax stands for."""
    if set(request.query) != {"method"}:
        raise bad_request(
            "with the alternate request syntax, method must be the only query string parameter; "
            "send the others as form parameters (xAPI 1.3.s3.b3)"
        )
    method = request.query["method"].upper()
    if method not in _METHODS:
        raise bad_request(
            f"method must be one of {sorted(_METHODS)}, not {request.query['method']!r}"
        )
    request[_METHOD] = method
    if request.content_type != "application/x-www-form-urlencoded":
        raise bad_request(
            "an alternate-syntax request must be application/x-www-form-urlencoded (xAPI 1.3)"
        )
    # aiohttp refuses to clone a request whose body was read: read it through a first clone,
    # so the request itself can still be cloned into the one it stands for.
    body = await request.clone().read()
    try:
        form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as error:
        raise bad_request("the form body must be UTF-8 (xAPI 1.3.s3.b5)") from error
    headers = CIMultiDict(request.headers)
    query: list[tuple[str, str]] = []
    content: bytes | None = None
    for name, value in form:
        if name.lower() in _HEADER_FIELDS:
            headers[name] = value  # 1.3.s3.b7: treated as headers
        elif name == "content":
            content = value.encode()
        else:
            query.append((name, value))  # 1.3.s3.b14: treated as query parameters
    if content is not None:
        headers["Content-Length"] = str(len(content))
        if not any(name.lower() == "content-type" for name, _ in form):
            # The outer Content-Type describes the form, not the content (1.3.s3.b9-b10: the
            # form's own is only a SHOULD): xAPI content is JSON unless the form says otherwise.
            headers["Content-Type"] = "application/json"
    clone = request.clone(method=method, headers=headers, rel_url=request.rel_url.with_query(query))
    clone[_CONTENT] = content if content is not None else b""
    return clone


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Route the rewritten request as if it had come in that way."""
    match = await request.app.router.resolve(request)
    if match.http_exception is not None:
        raise match.http_exception
    return await match.handler(request)
