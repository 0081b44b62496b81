"""Indicator endpoints: read the mirrored state of learners, activities and learner-activity
pairs from Redis, merging the buckets of the window asked. Never Kafka, never statements."""

from __future__ import annotations

import asyncio
import time
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel

from learning_record.api.app_keys import INDICATOR_CONSISTENCY, REDIS
from learning_record.api.endpoint import Call, endpoint
from learning_record.api.openapi import Operation, Reply
from learning_record.api.schemas import ActivityAnswer, BatchAnswer, LearnerAnswer, ProgressAnswer
from learning_record.domain.access import Scope
from learning_record.domain.indicator_query import (
    ActivityQuery,
    BatchQuery,
    LearnerByIdQuery,
    LearnerQuery,
    ProgressQuery,
    Q,
)
from learning_record.domain.indicators import Entity, iso_utc, read_indicators, window_bounds
from learning_record.domain.ingest import iso_millis
from learning_record.store import indicators as indicator_store

L = TypeVar("L", LearnerQuery, LearnerByIdQuery)
_SLICE_S = 0.005  # the longest the merging of indicators holds the event loop at a time


async def _envelope(request: web.Request, query: Q) -> dict[str, Any]:
    as_of = query.reference_ms
    bounds = window_bounds(query.window, as_of)
    through = await request.config_dict[INDICATOR_CONSISTENCY].consistent_through()
    return {
        "window": query.window.value,
        "as_of": iso_utc(as_of),
        "window_start": iso_utc(bounds[0]) if bounds else None,
        "window_end": iso_utc(bounds[1]) if bounds else None,
        "consistent_through": iso_millis(through),
    }


async def _read(
    call: Call[Q], entities: list[tuple[Entity, str]]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    query, tenant = call.params, call.caller.tenant
    fields = indicator_store.window_fields(query.window, query.reference_ms)
    answers = await indicator_store.read_values(
        call.request.config_dict[REDIS], [(tenant, entity, ref) for entity, ref in entities], fields
    )
    read = []
    slice_started = time.perf_counter()
    for (entity, _), stored in zip(entities, answers, strict=True):
        read.append((read_indicators(entity, stored.values, stored.members), stored.agent))
        if time.perf_counter() - slice_started > _SLICE_S:
            await asyncio.sleep(0)  # let other requests in between: a batch is up to 1,000
            slice_started = time.perf_counter()
    return read


def _both_forms(
    summary: str, query: type[BaseModel], answer: type[BaseModel]
) -> dict[str, Operation]:
    """GET with the parameters in the query string, and POST with the same as a JSON body."""
    replies = {200: Reply(summary, {"application/json": answer})}
    scopes = (Scope.INDICATORS_READ,)
    return {
        "GET": Operation(
            summary=summary,
            tag="indicators",
            scopes=scopes,
            replies=replies,
            query=query,
            errors=(400,),
        ),
        "POST": Operation(
            summary=f"{summary} (POST form)",
            tag="indicators",
            scopes=scopes,
            replies=replies,
            body={"application/json": query},
            params_in_body=True,
            errors=(400, 415),
        ),
    }


async def _learner_answer(call: Call[L]) -> web.Response:
    query = call.params
    if isinstance(query, LearnerQuery):
        learner_id, asked = query.learner.keyed(call.learner_id)
    else:
        learner_id, asked = call.request.match_info["learner_id"], None
    ((indicators, stored),) = await _read(call, [(Entity.LEARNER, learner_id)])
    body = {
        "learner": {"id": learner_id, "agent": asked or stored},
        **await _envelope(call.request, query),
    }
    return _json({**body, "indicators": indicators})


@endpoint(**_both_forms("A learner's indicators", LearnerQuery, LearnerAnswer))
async def learner(call: Call[LearnerQuery]) -> web.Response:
    return await _learner_answer(call)


@endpoint(**_both_forms("A learner's indicators, by learner id", LearnerByIdQuery, LearnerAnswer))
async def learner_by_id(call: Call[LearnerByIdQuery]) -> web.Response:
    return await _learner_answer(call)


@endpoint(**_both_forms("An activity's indicators", ActivityQuery, ActivityAnswer))
async def activity(call: Call[ActivityQuery]) -> web.Response:
    query = call.params
    ref = indicator_store.activity_ref(query.activity_id)
    ((indicators, _),) = await _read(call, [(Entity.ACTIVITY, ref)])
    body = {"activity": {"id": query.activity_id}, **await _envelope(call.request, query)}
    return _json({**body, "indicators": indicators})


@endpoint(**_both_forms("A learner's progress on an activity", ProgressQuery, ProgressAnswer))
async def progress(call: Call[ProgressQuery]) -> web.Response:
    query = call.params
    learner_id, asked = query.learner.keyed(call.learner_id)
    entities = [
        (Entity.LEARNER_ACTIVITY, indicator_store.pair_ref(learner_id, query.activity_id)),
        (Entity.LEARNER, learner_id),
    ]
    (indicators, _), (_, stored) = await _read(call, entities)
    body = {
        "learner": {"id": learner_id, "agent": asked or stored},
        "activity": {"id": query.activity_id},
        **await _envelope(call.request, query),
    }
    return _json({**body, "indicators": indicators})


@endpoint(
    POST=Operation(
        summary="Up to 1,000 learners and activities in one call",
        tag="indicators",
        scopes=(Scope.INDICATORS_READ,),
        body={"application/json": BatchQuery},
        params_in_body=True,
        replies={200: Reply("Each entity's indicators.", {"application/json": BatchAnswer})},
        errors=(400, 415),
    )
)
async def batch(call: Call[BatchQuery]) -> web.Response:
    """Up to 1,000 learners and activities in one call, for engines that poll many at once."""
    query = call.params
    learners = [learner.keyed(call.learner_id) for learner in query.learners]
    entities = [(Entity.LEARNER, learner_id) for learner_id, _ in learners] + [
        (Entity.ACTIVITY, indicator_store.activity_ref(a)) for a in query.activities
    ]
    answers = await _read(call, entities)
    answered = [
        {"learner": {"id": learner_id, "agent": asked or stored}, "indicators": indicators}
        for (learner_id, asked), (indicators, stored) in zip(learners, answers, strict=False)
    ]
    activities = [
        {"activity": {"id": activity_id}, "indicators": indicators}
        for activity_id, (indicators, _) in zip(
            query.activities, answers[len(query.learners) :], strict=True
        )
    ]
    envelope = await _envelope(call.request, query)
    return _json({**envelope, "learners": answered, "activities": activities})


def _json(value: Any) -> web.Response:
    return web.Response(body=orjson.dumps(value), content_type="application/json")
