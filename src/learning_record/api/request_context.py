"""What the steps serving one request learn about it, in one mutable object.

The outermost middleware creates it; the endpoint's steps fill it (the caller's tenant, the
rate-limit decision) and the root middlewares read it on the way out (CORS, ``RateLimit-*``).
A request of the alternate syntax is served as a clone whose state is a shallow copy of the
original's (``api.alternate_syntax``), so both share this one object: what the clone learns,
the original's middlewares see.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from learning_record.store.rate_limits import RateDecision


@dataclass(slots=True)
class RequestContext:
    request_id: str
    tenant: str | None = None  # of the key that authenticated the request
    rate: RateDecision | None = None  # the rate-limit charge of that key


_KEY = web.RequestKey("lr_request_context", RequestContext)


def start_context(request: web.Request, request_id: str) -> RequestContext:
    context = RequestContext(request_id)
    request[_KEY] = context
    return context


def context_of(request: web.Request) -> RequestContext:
    return request[_KEY]


def context_if_any(request: web.Request) -> RequestContext | None:
    """None for an answer aiohttp gives before our middlewares run (a malformed request)."""
    return request.get(_KEY)
