"""The Agents and Activities resources (xAPI Communication 2.4, 2.5): what the statements tell
of an Agent (a Person object) or of an Activity (its fullest definition).

Both read one key the statement view keeps as statements are written (``store.known_objects``):
every name and definition part of the whole history, in one bounded read.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from learning_record.api.app_keys import REDIS
from learning_record.api.documents import etagged_response
from learning_record.api.endpoint import Call, endpoint
from learning_record.api.openapi import Operation, Reply
from learning_record.api.schemas import Person
from learning_record.domain.access import Scope
from learning_record.domain.documents import parse_parameters
from learning_record.domain.full_activity import full_activity
from learning_record.domain.identity import ifi_of
from learning_record.domain.person import ActivitiesParameters, AgentsParameters, person_of
from learning_record.domain.xapi.activities import Activity
from learning_record.store.known_objects import definition_of, names_of

_SCOPES = (Scope.STATEMENTS_READ, Scope.ALL_READ)


def _etag_reply(description: str, model: Any) -> Reply:
    return Reply(description, {"application/json": model}, required_headers=("ETag",))


@endpoint(
    GET=Operation(
        summary="The Person object of an Agent: its identifier and every name seen with it "
        "(Communication 2.4)",
        tag="agents",
        scopes=_SCOPES,
        query=AgentsParameters,
        parse=lambda params: parse_parameters(AgentsParameters, params),
        replies={200: _etag_reply("The Person object.", Person)},
    )
)
async def agents(call: Call[AgentsParameters]) -> web.Response:
    agent = call.params.agent
    learner = call.learner_id(ifi_of(agent))
    names = await names_of(call.request.config_dict[REDIS], call.caller.tenant, learner)
    return etagged_response(orjson.dumps(person_of(agent, names)), "application/json", None)


@endpoint(
    GET=Operation(
        summary="An Activity with the fullest definition the statements gave it "
        "(Communication 2.5)",
        tag="activities",
        scopes=_SCOPES,
        query=ActivitiesParameters,
        parse=lambda params: parse_parameters(ActivitiesParameters, params),
        replies={200: _etag_reply("The Activity object.", Activity)},
    )
)
async def activities(call: Call[ActivitiesParameters]) -> web.Response:
    activity_id = call.params.activity_id
    redis = call.request.config_dict[REDIS]
    parts = await definition_of(redis, call.caller.tenant, activity_id)
    body = orjson.dumps(full_activity(activity_id, parts))
    return etagged_response(body, "application/json", None)
