"""POST /process and /process/batch over the component API app (docs/process.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from redis.asyncio import Redis

from learning_record.domain.access import Scope
from learning_record.platform.settings import ProcessSettings
from tests.component.api_app import ApiUnderTest, api_under_test

CALIPER = Path(__file__).parents[1] / "data/process/caliper-1.2/annotation.json"


def caliper_event(user: str = "554433") -> dict[str, Any]:
    event: dict[str, Any] = orjson.loads(CALIPER.read_bytes())
    event["actor"]["id"] = f"https://example.edu/users/{user}"
    return event


async def process(api: ApiUnderTest, body: object, tenant: str = "acme") -> tuple[int, Any]:
    key = api.kafka.keys.issue(tenant=tenant, scopes=(Scope.PROCESS,))
    async with api.client.post(
        api.url("/process"), json=body, headers={"x-api-key": key.header_value}
    ) as response:
        return response.status, await response.json()


def actor_name(answer: dict[str, Any]) -> str:
    return str(answer["output_trace"]["actor"]["account"]["name"])


async def test_a_caliper_event_becomes_a_pseudonymised_xapi_statement(api: ApiUnderTest) -> None:
    status, answer = await process(api, {"data": caliper_event()})

    assert status == 200
    assert answer["meta"]["input_format"] == "caliper"
    assert answer["meta"]["output_format"] == "xapi"
    actor = answer["output_trace"]["actor"]
    assert "name" not in actor
    assert len(actor["account"]["name"]) == 64  # an HMAC-SHA256, hex
    assert "554433" not in orjson.dumps(answer).decode()


async def test_pseudonyms_are_stable_per_learner_and_differ_between_tenants(
    api: ApiUnderTest,
) -> None:
    first = actor_name((await process(api, {"data": caliper_event()}))[1])
    again = actor_name((await process(api, {"data": caliper_event()}))[1])
    other_learner = actor_name((await process(api, {"data": caliper_event("998877")}))[1])
    other_tenant = actor_name((await process(api, {"data": caliper_event()}, "globex"))[1])

    assert first == again
    assert len({first, other_learner, other_tenant}) == 3


async def test_input_no_format_accepts_is_a_400_with_each_format_reason(api: ApiUnderTest) -> None:
    status, answer = await process(api, {"data": {"hello": "world"}})

    assert status == 400
    assert answer["error"]["code"] == "undetectable_input"
    formats = [r["input_format"] for r in answer["error"]["details"]["rejections"]]
    assert formats == ["xapi", "caliper", "scorm", "custom"]


async def test_a_batch_answers_each_item_on_its_own_line(api: ApiUnderTest) -> None:
    key = api.kafka.keys.issue(scopes=(Scope.PROCESS,))
    items = [{"data": caliper_event()}, {"data": {"hello": "world"}}, {"nope": 1}]
    body = b"\n".join(orjson.dumps(item) for item in items)
    async with api.client.post(
        api.url("/process/batch"),
        data=body,
        headers={"x-api-key": key.header_value, "Content-Type": "application/x-ndjson"},
    ) as response:
        assert response.status == 200
        assert response.content_type == "application/x-ndjson"
        lines = [orjson.loads(line) for line in (await response.read()).splitlines()]

    assert [(line["index"], line["ok"]) for line in lines] == [(0, True), (1, False), (2, False)]
    assert lines[0]["meta"]["input_format"] == "caliper"
    assert lines[1]["error"]["code"] == "undetectable_input"
    assert lines[2]["error"]["code"] == "bad_request"


async def test_a_batch_over_the_item_limit_is_413(api: ApiUnderTest) -> None:
    key = api.kafka.keys.issue(scopes=(Scope.PROCESS,))
    most = 1000  # LR_PROCESS__MAX_BATCH_ITEMS, the default
    async with api.client.post(
        api.url("/process/batch"),
        json=[{"data": {}}] * (most + 1),
        headers={"x-api-key": key.header_value},
    ) as response:
        assert response.status == 413
        assert (await response.json())["error"]["details"] == {"limit": most, "count": most + 1}


async def test_a_tenant_without_a_mode_in_its_request_gets_its_own_default(
    redis: Redis, redis_url: str
) -> None:
    """Mode per request, and per tenant (LR_PROCESS__TENANT_PRIVACY) when a request says none."""
    settings = ProcessSettings(tenant_privacy={"globex": "anonymise"})
    async for api in api_under_test(redis_url, process=settings):
        _, acme = await process(api, {"data": caliper_event()})
        _, globex = await process(api, {"data": caliper_event()}, "globex")
        _, asked = await process(
            api, {"data": caliper_event(), "privacy": "pseudonymise"}, "globex"
        )

    assert acme["meta"]["privacy"]["mode"] == "pseudonymise"
    assert globex["meta"]["privacy"]["mode"] == "anonymise"
    assert asked["meta"]["privacy"]["mode"] == "pseudonymise"
