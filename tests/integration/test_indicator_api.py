"""The indicator endpoints' contract: shapes, forms, errors, scopes and tenants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import pytest

from learning_record.domain.access import IssuedKey, Scope
from learning_record.domain.identity import ifi_of_json
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.integration.indicator_reads import consistent_through
from tests.pseudonyms import learner_ids
from tests.waiting import until

AGENT = {"mbox": "mailto:api-shape@example.org"}
ACTIVITY = "https://example.org/activities/shape"


def headers(key: IssuedKey) -> dict[str, str]:
    return {"x-api-key": key.header_value}


async def get(
    http: aiohttp.ClientSession, url: str, key: IssuedKey, params: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    async with http.get(url, params=params, headers=headers(key)) as response:
        return response.status, await response.json()


async def post_statement(http: aiohttp.ClientSession, base_url: str, key: IssuedKey) -> None:
    statement = {
        "actor": AGENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": ACTIVITY},
        "result": {"duration": "PT1M30S", "score": {"scaled": 0.75}, "success": True},
        "timestamp": "2026-11-27T08:00:00.000Z",
    }
    async with http.post(
        f"{base_url}/statements",
        json=statement,
        headers={**headers(key), "X-Experience-API-Version": "1.0.3"},
    ) as response:
        assert response.status == 200


@pytest.fixture
async def counted_key(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> IssuedKey:
    """A tenant with one statement, counted for its learner, activity and pair."""
    await post_statement(http, base_url, tenant_key)
    accepted_by = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    await until(
        lambda: consistent_through(http, base_url, tenant_key),
        lambda through: through >= accepted_by,
        what="statement counted",
    )
    return tenant_key


async def test_learner_answer_shape_and_values(
    http: aiohttp.ClientSession, base_url: str, counted_key: IssuedKey
) -> None:
    status, body = await get(
        http,
        f"{base_url}/indicators/learner",
        counted_key,
        {"agent": orjson.dumps(AGENT).decode(), "window": "all"},
    )
    learner_id = learner_ids(counted_key.record.tenant)(ifi_of_json(AGENT))
    assert status == 200
    assert body["learner"] == {"id": learner_id, "agent": AGENT}
    assert body["window"] == "all"
    assert body["window_start"] is None
    assert body["window_end"] is None
    assert body["consistent_through"] >= "2026-11-27T08:00:00.000Z"
    assert body["indicators"] == {
        "statements": 1,
        "active_days": 1,
        "activities": 1,
        "completed_activities": 1,
        "time_spent_s": 90.0,
        "success_count": 1,
        "failure_count": 0,
        "success_rate": 1.0,
        "score_avg": 0.75,
        "last_active": "2026-11-27T08:00:00.000Z",
        "verbs": {"http://adlnet.gov/expapi/verbs/completed": 1},
    }
    # The same learner by its opaque id, with the agent as the worker stored it.
    status, by_id = await get(http, f"{base_url}/learners/{learner_id}/indicators", counted_key, {})
    assert status == 200
    assert by_id["learner"] == {"id": learner_id, "agent": AGENT}
    assert by_id["indicators"] == body["indicators"]


async def test_windowed_answer_echoes_the_bucket_grid(
    http: aiohttp.ClientSession, base_url: str, counted_key: IssuedKey
) -> None:
    status, body = await get(
        http,
        f"{base_url}/indicators/activity",
        counted_key,
        {"activityId": ACTIVITY, "window": "24h", "as_of": "2026-11-27T20:30:45.123Z"},
    )
    assert status == 200
    assert body["activity"] == {"id": ACTIVITY}
    assert body["as_of"] == "2026-11-27T20:30:45.123Z"
    assert body["window_start"] == "2026-11-26T20:31:00.000Z"
    assert body["window_end"] == "2026-11-27T20:31:00.000Z"
    assert body["indicators"] == {
        "statements": 1,
        "learners": 1,
        "completed_learners": 1,
        "completion_rate": 1.0,
        "score_avg": 0.75,
        "time_spent_s": 90.0,
    }


async def test_progress_and_its_post_form(
    http: aiohttp.ClientSession, base_url: str, counted_key: IssuedKey
) -> None:
    params = {"agent": orjson.dumps(AGENT).decode(), "activityId": ACTIVITY}
    status, by_get = await get(http, f"{base_url}/indicators/progress", counted_key, params)
    assert status == 200
    assert by_get["indicators"] == {
        "statements": 1,
        "completed": True,
        "progress": 1.0,
        "best_score": 0.75,
        "time_spent_s": 90.0,
        "first_seen": "2026-11-27T08:00:00.000Z",
        "last_seen": "2026-11-27T08:00:00.000Z",
    }
    body = {"agent": AGENT, "activityId": ACTIVITY}
    async with http.post(
        f"{base_url}/indicators/progress", json=body, headers=headers(counted_key)
    ) as response:
        assert response.status == 200
        assert (await response.json())["indicators"] == by_get["indicators"]


async def test_unknown_learner_is_zeros_not_404(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    stranger = {"account": {"homePage": "https://lms.example.org", "name": str(uuid.uuid4())}}
    status, body = await get(
        http,
        f"{base_url}/indicators/learner",
        tenant_key,
        {"agent": orjson.dumps(stranger).decode()},
    )
    assert status == 200
    assert body["indicators"]["statements"] == 0
    assert body["indicators"]["score_avg"] is None
    assert body["indicators"]["last_active"] is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"agent": "{not json"}, "agent"),
        ({"agent": '{"mbox": "mailto:a@example.org", "openid": "https://x.example"}'}, "agent"),
        ({"agent": '{"mbox": "mailto:a@example.org"}', "window": "2h"}, "window"),
        ({"agent": '{"mbox": "mailto:a@example.org"}', "as_of": "yesterday"}, "as_of"),
        ({"agent": '{"mbox": "mailto:a@example.org"}', "as_of": "0001-01-01T00:00:00Z"}, "1970"),
        ({"agent": '{"mbox": "mailto:a@example.org"}', "since": "x"}, "since"),
        ({}, "agent"),
    ],
    ids=[
        "malformed_json",
        "two_ifis",
        "unknown_window",
        "bad_as_of",
        "as_of_out_of_range",
        "unknown_parameter",
        "missing",
    ],
)
async def test_bad_parameters_are_400_naming_them(
    http: aiohttp.ClientSession,
    base_url: str,
    tenant_key: IssuedKey,
    params: dict[str, str],
    message: str,
) -> None:
    status, body = await get(http, f"{base_url}/indicators/learner", tenant_key, params)
    assert status == 400
    assert message in body["error"]["message"]


async def test_batch_query_answers_many_and_refuses_over_1000(
    http: aiohttp.ClientSession, base_url: str, counted_key: IssuedKey
) -> None:
    body = {"learners": [AGENT, "0" * 32], "activities": [ACTIVITY], "window": "all"}
    async with http.post(
        f"{base_url}/indicators/query", json=body, headers=headers(counted_key)
    ) as response:
        assert response.status == 200
        answer = await response.json()
    assert [e["indicators"]["statements"] for e in answer["learners"]] == [1, 0]
    assert answer["activities"][0]["indicators"]["statements"] == 1
    too_many = {"activities": [f"https://example.org/a/{i}" for i in range(1001)]}
    async with http.post(
        f"{base_url}/indicators/query", json=too_many, headers=headers(counted_key)
    ) as response:
        assert response.status == 400
        assert "1000" in (await response.json())["error"]["message"]


async def test_indicators_need_their_scope_and_stay_in_their_tenant(
    http: aiohttp.ClientSession, base_url: str, counted_key: IssuedKey, settings: Settings
) -> None:
    params = {"agent": orjson.dumps(AGENT).decode()}
    writer = await issue_key(settings, scopes=(Scope.STATEMENTS_WRITE,))
    status, _ = await get(http, f"{base_url}/indicators/learner", writer, params)
    assert status == 403
    other_tenant = await issue_key(settings, scopes=(Scope.INDICATORS_READ,))
    status, body = await get(http, f"{base_url}/indicators/learner", other_tenant, params)
    assert status == 200
    assert body["indicators"]["statements"] == 0  # tenant B sees nothing of tenant A
    assert await consistent_through(http, base_url, other_tenant)
