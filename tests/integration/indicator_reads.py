"""Read indicators over HTTP, as an adaptive engine would."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

from learning_record.domain.access import IssuedKey
from learning_record.domain.indicator_query import most_entities
from learning_record.domain.indicators import Window


async def learner_indicators(
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    agent: dict[str, Any],
    window: str = "all",
    as_of: str | None = None,
) -> dict[str, Any]:
    params = {"agent": orjson.dumps(agent).decode(), "window": window}
    if as_of is not None:
        params["as_of"] = as_of
    async with http.get(
        f"{base_url}/indicators/learner", params=params, headers={"x-api-key": key.header_value}
    ) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
    return body


async def learner_statement_count(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, agent: dict[str, Any]
) -> int:
    body = await learner_indicators(http, base_url, key, agent)
    return int(body["indicators"]["statements"])


def _headers(key: IssuedKey) -> dict[str, str]:
    return {"x-api-key": key.header_value}


async def query_indicators(
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    *,
    learners: list[Any],
    activities: list[str],
    window: str,
    as_of: str,
) -> dict[str, Any]:
    """``POST /indicators/query`` in as many calls as the window's bound on entities asks
    (``most_entities``), answered as one: learners and activities in the order asked."""
    most = most_entities(Window(window))
    pages = [
        {"learners": [], "activities": [], kind: entities[first : first + most]}
        for kind, entities in (("learners", learners), ("activities", activities))
        for first in range(0, len(entities), most)
    ] or [{"learners": [], "activities": []}]
    answer: dict[str, Any] = {"learners": [], "activities": []}
    for asked in pages:
        body = {**asked, "window": window, "as_of": as_of}
        async with http.post(
            f"{base_url}/indicators/query", json=body, headers=_headers(key)
        ) as response:
            assert response.status == 200, await response.text()
            page: dict[str, Any] = await response.json()
        answer = {
            **page,
            "learners": answer["learners"] + page["learners"],
            "activities": answer["activities"] + page["activities"],
        }
    return answer


async def progress_indicators(
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    agent: dict[str, Any],
    activity: str,
    *,
    window: str,
    as_of: str,
) -> dict[str, Any]:
    params = {
        "agent": orjson.dumps(agent).decode(),
        "activityId": activity,
        "window": window,
        "as_of": as_of,
    }
    async with http.get(
        f"{base_url}/indicators/progress", params=params, headers=_headers(key)
    ) as response:
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
    return answer


async def consistent_through(http: aiohttp.ClientSession, base_url: str, key: IssuedKey) -> str:
    """The indicators' consistent_through: every statement stored before it is counted."""
    async with http.post(
        f"{base_url}/indicators/query", json={"learners": []}, headers=_headers(key)
    ) as response:
        assert response.status == 200, await response.text()
        return str((await response.json())["consistent_through"])
