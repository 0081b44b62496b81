"""The Agents and Activities resources (xAPI Communication 2.4, 2.5): what the statements tell
of an Agent (a Person object) or of an Activity (its fullest definition).

Both read the newest ``MAX_PAGE_SIZE`` statements naming the Agent or the Activity anywhere
(the related-agent and related-activity indexes), so a request costs one page of a statement
query whatever the history: names and definition parts seen only in older statements are not
in the answer (docs/documents.md).
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
from learning_record.domain.statement_index import RELATED_ACTIVITY, RELATED_AGENT, term
from learning_record.domain.statement_query import MAX_PAGE_SIZE, StatementQuery
from learning_record.domain.xapi.activities import Activity
from learning_record.store.statement_query import fetch_page

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
    statements = await _newest_statements(call, term(RELATED_AGENT, ifi_of(agent)))
    return etagged_response(orjson.dumps(person_of(agent, statements)), "application/json", None)


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
    statements = await _newest_statements(call, term(RELATED_ACTIVITY, activity_id))
    body = orjson.dumps(full_activity(activity_id, statements))
    return etagged_response(body, "application/json", None)


async def _newest_statements(call: Call[Any], index_term: str) -> list[dict[str, Any]]:
    """The newest statements of one index term, oldest first: later ones win a merge."""
    query = StatementQuery(
        terms=(index_term,),
        since_ms=None,
        until_ms=None,
        limit=MAX_PAGE_SIZE,
        ascending=False,
        format="exact",
        cursor=None,
    )
    page = await fetch_page(call.request.config_dict[REDIS], call.caller.tenant, query)
    return [orjson.loads(document) for document in reversed(page.documents)]
