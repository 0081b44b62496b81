"""Every route the API serves, in three sub-applications under one base path.

- **xAPI resources** (``/statements``, the documents, ``/agents``, ``/activities``, ``/about``):
  the xAPI protocol's own middlewares (the version stamp, the alternate request syntax, the
  version header, 400 for a media type the resource does not take; ``api.xapi_protocol``).
- **Product endpoints** (indicators, process, erasures): 415 for a body of a media type the
  operation does not declare (JSON unless it says otherwise; ``api.request_limits``).
- **Operations** (health, readiness, lag, the dashboard, the docs, ``/metrics``).

The sub-apps share the base path, so none is chosen by prefix: each is mounted with a rule that
matches when its own router serves the path (aiohttp offers such rules only for domains, hence
``_add_subapp``). Middlewares common to all (request id, metrics, CORS, errors, URL length) are
the root app's (``api.app``).
"""

from __future__ import annotations

from functools import partial

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_urldispatcher import (  # _InfoDict: the type aiohttp's own rules return
    AbstractRuleMatching,
    MatchedSubAppResource,
    _InfoDict,
)

from learning_record.api import (
    docs,
    documents,
    erasures,
    health,
    indicators,
    known_objects,
    ops,
    process,
    statements,
    xapi_protocol,
)
from learning_record.api.endpoint import Endpoint
from learning_record.api.middlewares import error_middleware
from learning_record.api.openapi import XAPI
from learning_record.api.request_limits import expect_continue_only, media_type_middleware


def add_routes(root: web.Application, base_path: str, *, metrics: Handler | None) -> None:
    """Mount the three sub-apps on ``root``; ``/metrics`` with them unless served elsewhere."""
    for sub_app in (_xapi(base_path), _product(base_path), _operations(base_path, metrics)):
        rule = _ServedBy(sub_app, base_path)
        root._add_subapp(partial(MatchedSubAppResource, rule, sub_app), sub_app)


def _xapi(base: str) -> web.Application:
    # The version stamp sits outside the sub-app's error middleware: errors carry it too.
    app = web.Application(
        middlewares=[xapi_protocol.stamp_version, error_middleware, xapi_protocol.check_request]
    )
    app[XAPI] = True
    _add(app, f"{base}/statements", statements.get_statements, "GET")
    _add(app, f"{base}/statements", statements.put_statement, "PUT")
    _add(app, f"{base}/statements", statements.post_statements, "POST")
    _add(app, f"{base}/about", xapi_protocol.about, "GET")
    for path, declared in (
        ("/activities/state", documents.state),
        ("/activities/profile", documents.activity_profile),
        ("/agents/profile", documents.agent_profile),
    ):
        for method in ("GET", "PUT", "POST", "DELETE"):
            _add(app, f"{base}{path}", declared, method)
    _add(app, f"{base}/agents", known_objects.agents, "GET")
    _add(app, f"{base}/activities", known_objects.activities, "GET")
    return app


def _product(base: str) -> web.Application:
    app = web.Application(middlewares=[media_type_middleware])
    for path, declared in (
        ("/indicators/learner", indicators.learner),
        ("/learners/{learner_id:[0-9a-f]{32}}/indicators", indicators.learner_by_id),
        ("/indicators/activity", indicators.activity),
        ("/indicators/progress", indicators.progress),
    ):
        for method in ("GET", "POST"):  # POST: the parameters as a JSON body
            _add(app, f"{base}{path}", declared, method)
    _add(app, f"{base}/indicators/query", indicators.batch, "POST")
    _add(app, f"{base}/process", process.process_one, "POST")
    _add(app, f"{base}/process/batch", process.process_batch, "POST")
    for method in ("DELETE", "POST"):  # POST: the agent in a JSON body
        _add(app, f"{base}/admin/learners", erasures.erase_learner, method)
    _add(app, f"{base}/admin/erasures/{{erasure_id}}", erasures.erasure_state, "GET")
    return app


def _operations(base: str, metrics: Handler | None) -> web.Application:
    app = web.Application()
    _add(app, f"{base}/health", health.health, "GET")
    app.router.add_get(f"{base}/ready", ops.ready)
    _add(app, f"{base}/ops/lag", ops.lag, "GET")
    _add(app, f"{base}/ops/summary", ops.summary, "GET")
    app.router.add_get(f"{base}/ops/dashboard", ops.dashboard)
    app.router.add_static(f"{base}/ops/dashboard/assets", ops.DASHBOARD_DIR)
    app.router.add_get(f"{base}/openapi.json", docs.openapi_json)
    app.router.add_get(f"{base}/docs", docs.docs_page)
    app.router.add_get(f"{base}/docs/{{asset}}", docs.docs_asset)
    if metrics is not None:
        app.router.add_get("/metrics", metrics)
    return app


def _add(app: web.Application, path: str, declared: Endpoint, method: str) -> None:
    if method == "GET":
        app.router.add_get(path, declared.handler(method))  # and HEAD, answered by the same action
    else:
        app.router.add_route(
            method, path, declared.handler(method), expect_handler=expect_continue_only
        )


class _ServedBy(AbstractRuleMatching):
    """Matches a request whose path the sub-app's router serves (for some method)."""

    def __init__(self, sub_app: web.Application, base_path: str) -> None:
        self._sub_app = sub_app
        self._base_path = base_path

    async def match(self, request: web.Request) -> bool:
        found = await self._sub_app.router.resolve(request)
        return not isinstance(found.http_exception, web.HTTPNotFound)

    def get_info(self) -> _InfoDict:
        return {"app": self._sub_app}

    @property
    def canonical(self) -> str:
        return self._base_path
