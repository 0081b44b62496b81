"""CORS for browser-based xAPI content (H5P, e-learning packages) posting from other origins.

Allowed origins are configured per tenant (``LR_CORS__ORIGINS``), plus a list every tenant
allows (``LR_CORS__DEFAULT_ORIGINS``). A preflight carries no credential, so its tenant is
unknown: it is answered for any origin that some tenant allows. The request that follows is
checked against the tenant of its key: a request from an origin its tenant does not allow is a
403 before anything is done, so a preflight passed for another tenant never lets a write
through. Public endpoints (about, health, the OpenAPI document) answer any origin some tenant
allows. No cookies are used, so credentials mode is never allowed: browsers send the key in
``Authorization`` or ``x-api-key`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler

from learning_record.api.errors import ApiError, error_response
from learning_record.api.request_context import context_of
from learning_record.platform.settings import CorsSettings

ORIGIN = "Origin"
REQUEST_METHOD = "Access-Control-Request-Method"
REQUEST_HEADERS = "Access-Control-Request-Headers"

# What xAPI clients send (Communication 1.3 and 3.3), and the header of our keys.
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-Experience-API-Version",
    "x-api-key",
    "If-Match",
    "If-None-Match",
    "X-Request-Id",
    "Accept",
    "Accept-Language",
    "Content-Language",
)
EXPOSED_HEADERS = (
    "X-Experience-API-Version",
    "X-Experience-API-Consistent-Through",
    "Last-Modified",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "X-Request-Id",
)
_ALLOWED_LOWER = frozenset(name.lower() for name in ALLOWED_HEADERS)
_ANY = "*"


@dataclass(frozen=True, slots=True)
class OriginPolicy:
    """Which origins may call the API, by tenant."""

    default_origins: frozenset[str]
    tenant_origins: Mapping[str, frozenset[str]]
    max_age_s: int

    @classmethod
    def from_settings(cls, settings: CorsSettings) -> OriginPolicy:
        return cls(
            frozenset(settings.default_origins),
            {tenant: frozenset(origins) for tenant, origins in settings.origins.items()},
            settings.max_age_s,
        )

    def allows(self, origin: str, tenant: str) -> bool:
        return _listed(origin, self.default_origins) or _listed(
            origin, self.tenant_origins.get(tenant, frozenset())
        )

    def allows_for_some_tenant(self, origin: str) -> bool:
        return _listed(origin, self.default_origins) or any(
            _listed(origin, origins) for origins in self.tenant_origins.values()
        )


def _listed(origin: str, origins: frozenset[str]) -> bool:
    return origin in origins or _ANY in origins


POLICY = web.AppKey("cors_policy", OriginPolicy)


def _cross_origin(request: web.Request) -> str | None:
    """The request's Origin when it is another origin than the API's own, else None."""
    origin = request.headers.get(ORIGIN)
    if origin is None or origin == f"{request.scheme}://{request.host}":
        return None
    return origin


def check_origin(request: web.Request, tenant: str) -> None:
    """Refuse (403) a cross-origin request from an origin the key's tenant does not allow."""
    origin = _cross_origin(request)
    if origin is None:
        return
    if not request.config_dict[POLICY].allows(origin, tenant):
        raise ApiError(
            403,
            "origin_not_allowed",
            f"origin {origin!r} is not allowed for this key's tenant (CORS settings)",
            {"origin": origin},
        )


def _preflight(request: web.Request, origin: str) -> web.StreamResponse:
    """Answer an OPTIONS preflight (Fetch standard, CORS protocol) without a key."""
    methods = _methods_of(request)
    if methods is None:
        return error_response(404, "not_found", "Not Found")
    method = request.headers[REQUEST_METHOD].strip().upper()
    asked_headers = _header_list(request.headers.get(REQUEST_HEADERS, ""))
    policy = request.config_dict[POLICY]
    refused = _refusal(policy, origin, method, methods, asked_headers)
    if refused is not None:
        return error_response(403, "cors_preflight_refused", refused, {"origin": origin})
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(policy.max_age_s),
            "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        },
    )


def _methods_of(request: web.Request) -> list[str] | None:
    """The methods the requested resource answers, or None when there is no such resource."""
    missing = request.match_info.http_exception
    if isinstance(missing, web.HTTPMethodNotAllowed):
        return sorted(missing.allowed_methods)
    if missing is not None:
        return None
    resource = request.match_info.route.resource
    routes = list(resource) if resource is not None else []
    return sorted({route.method for route in routes if route.method != "OPTIONS"})


def _refusal(
    policy: OriginPolicy,
    origin: str,
    method: str,
    methods: Iterable[str],
    asked_headers: list[str],
) -> str | None:
    if not policy.allows_for_some_tenant(origin):
        return f"origin {origin!r} is not allowed (CORS settings)"
    if method not in methods:
        return f"method {method} is not allowed here; allowed: {', '.join(methods)}"
    unknown = [name for name in asked_headers if name not in _ALLOWED_LOWER]
    if unknown:
        return f"header {unknown[0]!r} is not allowed; allowed: {', '.join(ALLOWED_HEADERS)}"
    return None


def _header_list(value: str) -> list[str]:
    return [name.strip().lower() for name in value.split(",") if name.strip()]


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost but for the request id: preflights are answered here, and every cross-origin
    answer (errors, 429 included) says who may read it."""
    origin = _cross_origin(request)
    if origin is None:
        return await handler(request)
    if request.method == "OPTIONS" and REQUEST_METHOD in request.headers:
        return _preflight(request, origin)
    response = await handler(request)
    if response.prepared:
        return response  # streamed (server-sent events): its headers are sent already
    tenant = context_of(request).tenant
    policy = request.config_dict[POLICY]
    allowed = policy.allows(origin, tenant) if tenant else policy.allows_for_some_tenant(origin)
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    response.headers.add("Vary", "Origin")
    return response
