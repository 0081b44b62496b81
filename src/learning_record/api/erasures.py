"""Erasure endpoints (docs/privacy.md): ask for a learner to be forgotten, and follow it. Both
need the ``admin`` scope, and neither ever answers with the learner's identifiers."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from learning_record.api.app_keys import ERASURE
from learning_record.api.endpoint import Call, endpoint
from learning_record.api.errors import not_found
from learning_record.api.openapi import Operation, Reply
from learning_record.api.schemas import ErasureAnswer
from learning_record.domain.access import Scope
from learning_record.domain.erasure import ErasureQuery

_ANSWERS = {
    202: Reply(
        "The erasure is asked: its id, and where to follow it (Location).",
        {"application/json": ErasureAnswer},
    )
}
_ASK = "Forget a learner: their statements, their indicators, and their keys"
_DESCRIPTION = (
    "Starts the erasure of every record of the learner the agent identifies (GDPR Art. 17), "
    "and answers at once with its id; GET /admin/erasures/{id} says when it is done. "
    "See docs/privacy.md for what is erased, and how fast."
)


@endpoint(
    DELETE=Operation(
        summary=_ASK,
        tag="admin",
        scopes=(Scope.ADMIN,),
        query=ErasureQuery,
        replies=_ANSWERS,
        errors=(400, 503),
        description=_DESCRIPTION,
    ),
    POST=Operation(
        summary=f"{_ASK} (POST form)",
        tag="admin",
        scopes=(Scope.ADMIN,),
        body={"application/json": ErasureQuery},
        params_in_body=True,
        replies=_ANSWERS,
        errors=(400, 415, 503),
        description=_DESCRIPTION,
    ),
)
async def erase_learner(call: Call[ErasureQuery]) -> web.Response:
    erasure = call.request.config_dict[ERASURE]
    record = await erasure.request(call.caller.tenant, call.params.ifi, call.caller.key.key_id)
    answer = {"id": record.id, "state": "pending", "requested": record.at, "finished": None}
    location = f"{call.request.path.removesuffix('/admin/learners')}/admin/erasures/{record.id}"
    return _json(answer, status=202, headers={"Location": location})


@endpoint(
    GET=Operation(
        summary="An erasure's state: pending or done, and when",
        tag="admin",
        scopes=(Scope.ADMIN,),
        replies={200: Reply("Its state.", {"application/json": ErasureAnswer})},
        errors=(404,),
    )
)
async def erasure_state(call: Call[Any]) -> web.Response:
    erasure_id = call.request.match_info["erasure_id"]
    state = await call.request.config_dict[ERASURE].state(call.caller.tenant, erasure_id)
    if state is None:
        raise not_found(f"no erasure {erasure_id} of this tenant")
    answer = {
        "id": erasure_id,
        "state": state["state"],
        "requested": state.get("requested"),
        "finished": state.get("finished"),
    }
    return _json(answer)


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(value), status=status, content_type="application/json", headers=headers
    )
