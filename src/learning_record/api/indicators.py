"""Indicator endpoints: read the mirrored state of learners, activities and learner-activity
pairs from Redis, merging the buckets of the window asked. Never Kafka, never statements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel

from learning_record.api.app_keys import INDICATOR_CONSISTENCY, REDIS
from learning_record.api.auth import authenticate
from learning_record.api.errors import bad_request
from learning_record.api.openapi import Operation, Reply, documented
from learning_record.api.schemas import ActivityAnswer, BatchAnswer, LearnerAnswer, ProgressAnswer
from learning_record.domain.access import Scope
from learning_record.domain.indicator_query import (
    ActivityQuery,
    BatchQuery,
    IndicatorQueryInvalid,
    LearnerByIdQuery,
    LearnerQuery,
    ProgressQuery,
    Q,
    parse_query,
)
from learning_record.domain.indicators import Entity, iso_utc, read_indicators, window_bounds
from learning_record.domain.ingest import iso_millis
from learning_record.store import indicators as view

View = Callable[[web.Request], Awaitable[web.Response]]


async def _params(request: web.Request, model: type[Q]) -> Q:
    """GET parameters, or the JSON body of the POST form (for queries too long for a URL)."""
    if request.method == "POST":
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(
                text=f"send the parameters as application/json, not {request.content_type}"
            )
        try:
            params: Any = orjson.loads(await request.read())
        except orjson.JSONDecodeError as error:
            raise bad_request(f"malformed JSON: {error}") from error
    else:
        params = dict(request.query)
    try:
        return parse_query(model, params)
    except IndicatorQueryInvalid as error:
        raise bad_request(str(error)) from error


async def _envelope(request: web.Request, query: Q) -> dict[str, Any]:
    as_of = query.reference_ms
    bounds = window_bounds(query.window, as_of)
    through = await request.app[INDICATOR_CONSISTENCY].consistent_through()
    return {
        "window": query.window.value,
        "as_of": iso_utc(as_of),
        "window_start": iso_utc(bounds[0]) if bounds else None,
        "window_end": iso_utc(bounds[1]) if bounds else None,
        "consistent_through": iso_millis(through),
    }


async def _read(
    request: web.Request, tenant: str, query: Q, entities: list[tuple[Entity, str]]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    fields = view.window_fields(query.window, query.reference_ms)
    answers = await view.read_values(
        request.app[REDIS], [(tenant, entity, ref) for entity, ref in entities], fields
    )
    return [
        (read_indicators(entity, stored.values, stored.members), stored.agent)
        for (entity, _), stored in zip(entities, answers, strict=True)
    ]


def _both_forms(
    summary: str, query: type[BaseModel], answer: type[BaseModel]
) -> Callable[[View], View]:
    """Document a view for GET (parameters in the query) and POST (the same as a JSON body)."""
    replies = {200: Reply(summary, {"application/json": answer})}
    scopes = (Scope.INDICATORS_READ,)

    def declare(handler: View) -> View:
        get = Operation(
            summary=summary,
            tag="indicators",
            scopes=scopes,
            replies=replies,
            query=query,
            errors=(400,),
        )
        post = Operation(
            summary=f"{summary} (POST form)",
            tag="indicators",
            scopes=scopes,
            replies=replies,
            body={"application/json": query},
            errors=(400, 415),
        )
        return documented("POST", post)(documented("GET", get)(handler))

    return declare


async def _learner_answer(
    request: web.Request, query: LearnerQuery | LearnerByIdQuery
) -> web.Response:
    principal = await authenticate(request, Scope.INDICATORS_READ)
    if isinstance(query, LearnerQuery):
        learner_id, asked = query.learner
    else:
        learner_id, asked = request.match_info["learner_id"], None
    ((indicators, stored),) = await _read(
        request, principal.tenant, query, [(Entity.LEARNER, learner_id)]
    )
    body = {
        "learner": {"id": learner_id, "agent": asked or stored},
        **await _envelope(request, query),
    }
    return _json({**body, "indicators": indicators})


@_both_forms("A learner's indicators", LearnerQuery, LearnerAnswer)
async def learner(request: web.Request) -> web.Response:
    return await _learner_answer(request, await _params(request, LearnerQuery))


@_both_forms("A learner's indicators, by learner id", LearnerByIdQuery, LearnerAnswer)
async def learner_by_id(request: web.Request) -> web.Response:
    return await _learner_answer(request, await _params(request, LearnerByIdQuery))


@_both_forms("An activity's indicators", ActivityQuery, ActivityAnswer)
async def activity(request: web.Request) -> web.Response:
    principal = await authenticate(request, Scope.INDICATORS_READ)
    query = await _params(request, ActivityQuery)
    ref = view.activity_ref(query.activity_id)
    ((indicators, _),) = await _read(request, principal.tenant, query, [(Entity.ACTIVITY, ref)])
    body = {"activity": {"id": query.activity_id}, **await _envelope(request, query)}
    return _json({**body, "indicators": indicators})


@_both_forms("A learner's progress on an activity", ProgressQuery, ProgressAnswer)
async def progress(request: web.Request) -> web.Response:
    principal = await authenticate(request, Scope.INDICATORS_READ)
    query = await _params(request, ProgressQuery)
    learner_id, asked = query.learner
    entities = [
        (Entity.LEARNER_ACTIVITY, view.pair_ref(learner_id, query.activity_id)),
        (Entity.LEARNER, learner_id),
    ]
    (indicators, _), (_, stored) = await _read(request, principal.tenant, query, entities)
    body = {
        "learner": {"id": learner_id, "agent": asked or stored},
        "activity": {"id": query.activity_id},
        **await _envelope(request, query),
    }
    return _json({**body, "indicators": indicators})


@documented(
    "POST",
    Operation(
        summary="Up to 1,000 learners and activities in one call",
        tag="indicators",
        scopes=(Scope.INDICATORS_READ,),
        body={"application/json": BatchQuery},
        replies={200: Reply("Each entity's indicators.", {"application/json": BatchAnswer})},
        errors=(400, 415),
    ),
)
async def batch(request: web.Request) -> web.Response:
    """Up to 1,000 learners and activities in one call, for engines that poll many at once."""
    principal = await authenticate(request, Scope.INDICATORS_READ)
    query = await _params(request, BatchQuery)
    entities = [(Entity.LEARNER, learner_id) for learner_id, _ in query.learners] + [
        (Entity.ACTIVITY, view.activity_ref(a)) for a in query.activities
    ]
    answers = await _read(request, principal.tenant, query, entities)
    learners = [
        {"learner": {"id": learner_id, "agent": asked or stored}, "indicators": indicators}
        for (learner_id, asked), (indicators, stored) in zip(query.learners, answers, strict=False)
    ]
    activities = [
        {"activity": {"id": activity_id}, "indicators": indicators}
        for activity_id, (indicators, _) in zip(
            query.activities, answers[len(query.learners) :], strict=True
        )
    ]
    envelope = await _envelope(request, query)
    return _json({**envelope, "learners": learners, "activities": activities})


def _json(value: Any) -> web.Response:
    return web.Response(body=orjson.dumps(value), content_type="application/json")


ROUTES: list[tuple[str, View]] = [
    ("/indicators/learner", learner),
    ("/learners/{learner_id:[0-9a-f]{32}}/indicators", learner_by_id),
    ("/indicators/activity", activity),
    ("/indicators/progress", progress),
]
