"""The OpenAPI 3.1 document, generated from the routes and the pydantic models they declare.

An action declares what it reads and answers with ``@endpoint(GET=Operation(...))``
(``api.endpoint``, which also enforces it): its query model (a pydantic model whose aliases are
the parameter names), its body and reply types. ``openapi_document`` walks the app's router and
those of its sub-apps (``api.routes``), so a route is in the document exactly when it is
served, and every schema comes from the models the actions validate and render with. Operations
of the xAPI sub-app take and answer ``X-Experience-API-Version``. A route that declares nothing
is listed with what the router knows (its path parameters and a summary from its docstring) and
marked ``x-undocumented``; the contract guard (``api.contract``) leaves such routes out until
they declare themselves.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, TypeAdapter

from learning_record.api.schemas import ErrorBody
from learning_record.domain.access import Scope

SCHEMA_REF = "#/components/schemas/{model}"

# Response headers the API sets, by name: what each one means.
RESPONSE_HEADERS: dict[str, str] = {
    "X-Request-Id": "The request's id (the client's own X-Request-Id, or a new one); logged "
    "with every line about the request.",
    "X-Experience-API-Version": "The xAPI version of the answer (Communication 3.3).",
    "X-Experience-API-Consistent-Through": "Every statement stored at or before this time is "
    "in the answer (Communication 2.1.3.s2.b5).",
    "Last-Modified": "The statement's stored time (Communication 2.1.3.s2.b8), or when the "
    "document (or the latest of the listed documents) last changed (2.2.s6).",
    "ETag": "The quoted lowercase hex SHA-1 of the body (Communication 3.1.s4.b2): send it "
    "back in If-Match to change the document only if it is still this one.",
    "RateLimit-Limit": "Requests per second of the key's plan (keys with a rate limit only).",
    "RateLimit-Remaining": "Requests left in the current one-second window.",
    "RateLimit-Reset": "Seconds until the window resets.",
    "Retry-After": "Seconds to wait before trying again (429).",
    "WWW-Authenticate": "The HTTP Basic challenge (401).",
    "Allow": "The methods the resource answers (405).",
    "Accept-Post": "The media types the endpoint reads (415).",
}
_RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
# Every operation takes the client's request id (api.middlewares.REQUEST_ID_PATTERN).
_REQUEST_ID = {
    "name": "X-Request-Id",
    "in": "header",
    "required": False,
    "description": "The client's id for the request, echoed and logged; another one is made "
    "when absent or not a plain token.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
}

ERROR_REASONS: dict[int, str] = {
    400: "The request is malformed or invalid; the message says what and where.",
    401: "No valid credential: x-api-key or HTTP Basic with the key id and secret.",
    403: "The key lacks the scope, or a browser origin its tenant does not allow.",
    404: "No such resource, or nothing this key may see.",
    409: "The statement id is taken by other content; or a Profile document exists and the "
    "request has neither If-Match nor If-None-Match (Communication 3.1.s4.b13), or its "
    "context holds the most documents it may.",
    412: "If-Match or If-None-Match does not hold for the document as stored (3.1.s4.b9).",
    413: "The body is over the size limit.",
    414: "The request target is over 8,192 bytes: send long queries as POST.",
    415: "The body's media type is not one this endpoint reads.",
    429: "Over the key's rate limit or monthly statement quota (Retry-After says when).",
    503: "A dependency (Kafka, Redis) is unavailable.",
}


@dataclass(frozen=True, slots=True)
class Reply:
    """One response: its description, body type by media type, and the headers it carries
    (``required`` ones always, the others when they apply)."""

    description: str
    content: Mapping[str, Any] = field(default_factory=dict)  # media type -> type or schema
    headers: tuple[str, ...] = ()
    required_headers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    tag: str
    replies: Mapping[int, Reply]
    scopes: tuple[Scope, ...] = ()  # any one of them; () is a public endpoint
    query: type[BaseModel] | None = None  # parsed from the query string (api.endpoint)
    body: Mapping[str, Any] = field(default_factory=dict)  # media type -> type or schema
    params_in_body: bool = False  # the body is the query model as JSON: a query's POST form
    # Parses the query string when the query model only documents it (its rules span fields).
    parse: Callable[[Mapping[str, str]], Any] | None = None
    version_header_required: bool = True  # xAPI resources only (Communication 3.3)
    errors: tuple[int, ...] = ()
    description: str = ""

    @property
    def answered_headers(self) -> frozenset[str]:
        """The headers some reply of this operation carries."""
        return frozenset(
            name
            for reply in self.replies.values()
            for name in (*reply.headers, *reply.required_headers)
        )


Handler = TypeVar("Handler", bound=Callable[..., Any])

_DECLARED: dict[tuple[Callable[..., Any], str], Operation] = {}
_HIDDEN: set[Callable[..., Any]] = set()
XAPI = web.AppKey("xapi_resources", bool)  # set on the sub-app of the xAPI resources


def declare(handler: Callable[..., Any], method: str, operation: Operation) -> None:
    """Record what ``handler`` answers for ``method`` (``api.endpoint`` calls it)."""
    _DECLARED[(handler, method.upper())] = operation


def declared_operation(request: web.Request, method: str) -> Operation | None:
    """The operation declared for ``method`` on the resource the request matched (the method
    may differ from the request's own: the alternate syntax stands for another). HEAD is
    answered by the GET operation."""
    method = "GET" if method == "HEAD" else method
    resource = request.match_info.route.resource
    for route in resource or ():
        if route.method == method:
            return _DECLARED.get((route.handler, method))
    return None


def hidden(handler: Handler) -> Handler:
    """Keep a route out of the document (the document itself, its docs page)."""
    _HIDDEN.add(handler)
    return handler


def openapi_document(app: web.Application, base_path: str, version: str) -> dict[str, Any]:
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route, xapi in _routes(app):
        resource = route.resource
        if route.method == "HEAD" or resource is None or isinstance(resource, web.StaticResource):
            continue
        path = resource.canonical
        if not path.startswith(base_path) or route.handler in _HIDDEN:
            continue
        declared = _DECLARED.get((route.handler, route.method))
        path_parameters = _path_parameters(resource)
        operation = (
            _operation(declared, path_parameters, schemas, xapi=xapi)
            if declared is not None
            else _undocumented(route, path_parameters, schemas)
        )
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Learning Record API",
            "version": version,
            "description": "xAPI 1.0.3 statements and learning indicators. Errors are always "
            '`{"error": {"code", "message", "details"}}` with `X-Request-Id`.',
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "The key id as user name, the secret as password.",
                },
            },
        },
    }


def _routes(app: web.Application) -> list[tuple[web.AbstractRoute, bool]]:
    """Every route of the app and of its sub-apps, each with whether it is an xAPI resource."""
    routes = []
    for resource in app.router.resources():
        sub_app = resource.get_info().get("app")
        if isinstance(sub_app, web.Application):
            xapi = sub_app.get(XAPI, False)
            routes += [(route, xapi) for route, _ in _routes(sub_app)]
        else:
            routes += [(route, False) for route in resource]
    return routes


class _Schemas:
    """JSON schemas of the declared types, their definitions gathered as components."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def of(self, declared: Any) -> dict[str, Any]:
        if isinstance(declared, dict):
            return declared  # a schema written out: for media types without a model
        schema = TypeAdapter(declared).json_schema(by_alias=True, ref_template=SCHEMA_REF)
        self.components.update(schema.pop("$defs", {}))
        if isinstance(declared, type) and issubclass(declared, BaseModel):
            self.components[declared.__name__] = schema
            return {"$ref": SCHEMA_REF.format(model=declared.__name__)}
        return schema


def _operation(
    declared: Operation, path_parameters: list[dict[str, Any]], schemas: _Schemas, *, xapi: bool
) -> dict[str, Any]:
    parameters = [*path_parameters, *_query_parameters(declared.query, schemas), _REQUEST_ID]
    if xapi:
        parameters.append(
            {
                "name": "X-Experience-API-Version",
                "in": "header",
                "required": declared.version_header_required,
                "description": "1.0 or 1.0.x (Communication 3.3).",
                "schema": {"type": "string", "pattern": r"^1\.0(\.[0-9]+)?$"},
            }
        )
    rendered: dict[str, Any] = {
        "summary": declared.summary,
        "tags": [declared.tag],
        "parameters": parameters,
        "responses": _replies(declared, schemas, in_path=bool(path_parameters), xapi=xapi),
    }
    if declared.description:
        rendered["description"] = declared.description
    if declared.body:
        rendered["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": schemas.of(body)} for media, body in declared.body.items()
            },
        }
    if declared.scopes:
        rendered["security"] = [{"apiKey": []}, {"basic": []}]
        rendered["x-scopes"] = [scope.value for scope in declared.scopes]
    else:
        rendered["security"] = []
    return rendered


def _replies(
    declared: Operation, schemas: _Schemas, *, in_path: bool, xapi: bool
) -> dict[str, Any]:
    xapi_headers = ("X-Experience-API-Version",) if xapi else ()
    rate_headers = _RATE_HEADERS if declared.scopes else ()
    errors = {414, *declared.errors}
    if in_path:
        errors.add(404)  # a path parameter off its pattern: no such resource
    if declared.scopes:
        errors |= {401, 403, 429}
    if declared.body:
        errors |= {400, 413}
    if declared.query is not None:
        errors.add(400)
    replies = dict(declared.replies)
    for status in sorted(errors - set(replies)):
        replies[status] = Reply(ERROR_REASONS[status], {"application/json": ErrorBody})
    rendered: dict[str, Any] = {}
    for status, reply in sorted(replies.items()):
        # A 414 comes from the root app, before any resource is matched: no xAPI stamp.
        stamped = xapi_headers if status != 414 else ()
        required = ("X-Request-Id", *stamped, *reply.required_headers)
        optional = [*rate_headers, *reply.headers, *_error_headers(status)]
        headers = {name: _header(name, required=True) for name in required}
        headers |= {name: _header(name, required=False) for name in optional if name not in headers}
        entry: dict[str, Any] = {"description": reply.description, "headers": headers}
        if reply.content:
            entry["content"] = {
                media: {"schema": schemas.of(body)} for media, body in reply.content.items()
            }
        rendered[str(status)] = entry
    return rendered


def _error_headers(status: int) -> tuple[str, ...]:
    return {401: ("WWW-Authenticate",), 415: ("Accept-Post",), 429: ("Retry-After",)}.get(
        status, ()
    )


def _header(name: str, *, required: bool) -> dict[str, Any]:
    return {
        "description": RESPONSE_HEADERS[name],
        "required": required,
        "schema": {"type": "string"},
    }


def _query_parameters(model: type[BaseModel] | None, schemas: _Schemas) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(by_alias=True, ref_template=SCHEMA_REF)
    schemas.components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    parameters = []
    for name, property_schema in schema["properties"].items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _not_null(property_schema),
        }
        if "description" in property_schema:
            parameter["description"] = property_schema["description"]
        parameters.append(parameter)
    return parameters


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent, never null: drop the null branch of an optional field."""
    cleaned = {k: v for k, v in schema.items() if k not in ("title", "description", "default")}
    branches = cleaned.get("anyOf")
    if branches is not None:
        kept = [branch for branch in branches if branch != {"type": "null"}]
        del cleaned["anyOf"]
        if len(kept) == 1:
            cleaned |= kept[0]
        else:
            cleaned["anyOf"] = kept
    if "default" in schema and schema["default"] is not None:
        cleaned["default"] = schema["default"]
    return cleaned


def _path_parameters(resource: web.AbstractResource) -> list[dict[str, Any]]:
    """The variables of a route's path, each with the regular expression the router matches."""
    pattern = resource.get_info().get("pattern")
    if pattern is None:
        return []
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": f"^{_group(pattern.pattern, name)}$"},
        }
        for name in pattern.groupindex
    ]


def _group(regex: str, name: str) -> str:
    """The expression of the named group ``name`` in ``regex`` (balanced parentheses)."""
    start = regex.index(f"(?P<{name}>") + len(f"(?P<{name}>")
    depth, index = 1, start
    while depth:
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    return regex[start : index - 1]


def _undocumented(
    route: web.AbstractRoute, path_parameters: list[dict[str, Any]], schemas: _Schemas
) -> dict[str, Any]:
    doc = inspect.getdoc(route.handler) or ""
    summary = doc.split("\n\n", 1)[0].replace("\n", " ") or route.handler.__name__
    return {
        "summary": summary,
        "parameters": [*path_parameters, _REQUEST_ID],
        "responses": {
            "200": {"description": "Success."},
            "default": {
                "description": "An error.",
                "content": {"application/json": {"schema": schemas.of(ErrorBody)}},
            },
        },
        "x-undocumented": True,
    }
