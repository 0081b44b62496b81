"""The Agents and Activities resources (xAPI Communication 2.4, 2.5) over HTTP: what the stored
statements tell of an Agent and of an Activity."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson
import pytest
from redis.asyncio import Redis

from learning_record.domain.access import IssuedKey, Scope
from learning_record.domain.statement_query import MAX_PAGE_SIZE
from learning_record.platform.settings import Settings
from learning_record.store import keys
from learning_record.store.keys import ClaimField
from tests.integration.conftest import issue_key
from tests.integration.lr_cli import run_lr
from tests.waiting import until

VERB = {"id": "http://adlnet.gov/expapi/verbs/answered"}
ACTIVITY = "https://example.com/activities/question"


class Client:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, key: IssuedKey) -> None:
        self.http, self.base_url, self.key = http, base_url, key
        self.headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}

    async def store(self, *statements: dict[str, Any]) -> list[str]:
        url = f"{self.base_url}/statements"
        async with self.http.post(url, json=list(statements), headers=self.headers) as response:
            assert response.status == 200, await response.text()
            return list(await response.json())

    async def get(
        self, path: str, params: dict[str, str], method: str = "GET"
    ) -> tuple[int, bytes, Mapping[str, str]]:
        url = f"{self.base_url}/{path}"
        async with self.http.request(method, url, params=params, headers=self.headers) as answer:
            return answer.status, await answer.read(), answer.headers


@pytest.fixture
def client(http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey) -> Client:
    return Client(http, base_url, tenant_key)


def statement(actor: dict[str, Any], target: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"actor": actor, "verb": VERB, "object": target, **more}


@pytest.mark.parametrize(
    ("agent", "ifi"),
    [
        ({"mbox": "mailto:ada@example.com"}, {"mbox": ["mailto:ada@example.com"]}),
        (
            {"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"},
            {"mbox_sha1sum": ["EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"]},
        ),
        (
            {"openid": "https://openid.example.org/ada"},
            {"openid": ["https://openid.example.org/ada"]},
        ),
        (
            {"account": {"homePage": "https://lms.example.com", "name": "ada"}},
            {"account": [{"homePage": "https://lms.example.com", "name": "ada"}]},
        ),
    ],
)
async def test_the_person_has_every_name_seen_with_the_agent_s_ifi_2_4(
    client: Client, agent: dict[str, Any], ifi: dict[str, Any]
) -> None:
    other = {"mbox": "mailto:other@example.com", "name": "Other"}
    await client.store(
        statement({**agent, "name": "Ada"}, {"id": ACTIVITY}),
        statement(other, {**agent, "objectType": "Agent", "name": "Ada L."}),
        statement(other, {"id": ACTIVITY}, context={"instructor": {**agent, "name": "Dr Ada"}}),
    )

    status, body, headers = await client.get("agents", {"agent": orjson.dumps(agent).decode()})

    assert status == 200
    assert orjson.loads(body) == {
        "objectType": "Person",
        "name": ["Ada", "Ada L.", "Dr Ada"],
        **ifi,
    }
    assert headers["ETag"] == f'"{hashlib.sha1(body).hexdigest()}"'
    head = await client.get("agents", {"agent": orjson.dumps(agent).decode()}, method="HEAD")
    assert (head[0], head[1], head[2]["ETag"]) == (200, b"", headers["ETag"])


async def test_an_unknown_agent_is_still_a_person_2_4_s3_b3(client: Client) -> None:
    agent = {"mbox": "mailto:nobody@example.com", "name": "Nobody"}

    status, body, _ = await client.get("agents", {"agent": orjson.dumps(agent).decode()})

    assert (status, orjson.loads(body)) == (
        200,
        {"objectType": "Person", "name": ["Nobody"], "mbox": ["mailto:nobody@example.com"]},
    )


async def test_the_activity_has_the_fullest_definition_merged_from_statements_2_5(
    client: Client,
) -> None:
    actor = {"mbox": "mailto:ada@example.com"}
    first = {
        "name": {"en-US": "Question", "fr": "Question"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": "true-false",
        "correctResponsesPattern": ["true"],
    }
    later = {
        "name": {"en-US": "The question"},
        "description": {"en-US": "Is it true?"},
        "interactionType": "choice",
        "choices": [{"id": "yes"}, {"id": "no"}],
    }
    parent = {"id": ACTIVITY, "definition": {"extensions": {"https://example.com/x": 1}}}
    await client.store(statement(actor, {"id": ACTIVITY, "definition": first}))
    await client.store(
        statement(actor, {"id": ACTIVITY, "definition": later}),
        statement(
            actor,
            {"id": "https://example.com/activities/other"},
            context={"contextActivities": {"parent": [parent]}},
        ),
    )

    status, body, headers = await client.get("activities", {"activityId": ACTIVITY})

    assert status == 200
    assert orjson.loads(body) == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {
            # Names and descriptions: the newest word (Data 2.4.4.1.s4.b4); the interaction:
            # the first one, a change of it being significant (2.4.4.1.s4.b5).
            "name": {"en-US": "The question", "fr": "Question"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "description": {"en-US": "Is it true?"},
            "interactionType": "true-false",
            "correctResponsesPattern": ["true"],
            "extensions": {"https://example.com/x": 1},
        },
    }
    head = await client.get("activities", {"activityId": ACTIVITY}, method="HEAD")
    assert (head[0], head[1], head[2]["ETag"]) == (200, b"", headers["ETag"])


async def test_an_unknown_activity_is_still_an_activity_2_5_s2_b1(client: Client) -> None:
    status, body, _ = await client.get("activities", {"activityId": "https://example.com/new"})

    assert (status, orjson.loads(body)) == (
        200,
        {"objectType": "Activity", "id": "https://example.com/new"},
    )


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("agents", {"agent": '{"objectType":"Group","member":[]}'}),
        ("agents", {"agent": "{"}),
        ("agents", {"agent": '{"mbox":"mailto:a@b.c"}', "extra": "1"}),
        ("agents", {}),
        ("activities", {"activityId": ACTIVITY, "extra": "1"}),
        ("activities", {"activityId": "not an iri"}),
        ("activities", {}),
    ],
)
async def test_bad_or_unknown_parameters_are_400(
    client: Client, path: str, params: dict[str, str]
) -> None:
    assert (await client.get(path, params))[0] == 400


async def test_definitions_stay_within_the_tenant(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, client: Client
) -> None:
    actor = {"mbox": "mailto:ada@example.com"}
    definition = {"name": {"en": "Secret"}}
    await client.store(statement(actor, {"id": ACTIVITY, "definition": definition}))
    other = Client(http, base_url, await issue_key(settings, (Scope.STATEMENTS_READ,)))

    assert orjson.loads((await other.get("activities", {"activityId": ACTIVITY}))[1]) == {
        "objectType": "Activity",
        "id": ACTIVITY,
    }


async def test_old_statements_stay_in_the_person_and_activity_and_replay_rebuilds_them(
    client: Client, settings: Settings, redis: Redis
) -> None:
    ada = {"mbox": "mailto:ada@example.com"}
    old = statement(
        {**ada, "name": "Ada of old"},
        {"id": ACTIVITY, "definition": {"name": {"en": "Old name"}, "type": "https://x.org/t"}},
    )
    later = [
        statement({**ada, "name": "Ada"}, {"id": ACTIVITY, "definition": {"name": {"fr": "Q"}}})
        for _ in range(MAX_PAGE_SIZE + 49)
    ]
    await client.store(old)  # statement #1 of 150, older than the newest 100
    await client.store(*later)
    person = {"objectType": "Person", "name": ["Ada of old", "Ada"], "mbox": [ada["mbox"]]}
    activity = {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {"name": {"en": "Old name", "fr": "Q"}, "type": "https://x.org/t"},
    }

    async def known() -> tuple[Any, Any]:
        agent = (await client.get("agents", {"agent": orjson.dumps(ada).decode()}))[1]
        full = (await client.get("activities", {"activityId": ACTIVITY}))[1]
        return orjson.loads(agent), orjson.loads(full)

    assert await known() == (person, activity)

    # Redis loses the whole tenant; replaying the statements topic repairs it.
    tenant = client.key.record.tenant
    await redis.delete(*[key async for key in redis.scan_iter(match=f"lr:{{t:{tenant}}}*")])
    assert await known() == (
        {"objectType": "Person", "mbox": [ada["mbox"]]},
        {"objectType": "Activity", "id": ACTIVITY},
    )
    output = await run_lr(settings, "replay", "--tenant", tenant, "--yes")

    assert "150 statements of 1 tenant(s)" in output
    assert await known() == (person, activity)


async def test_only_statements_stored_with_define_change_persons_and_activities_4_2(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, client: Client, redis: Redis
) -> None:
    tenant = client.key.record.tenant
    ada = {"mbox": "mailto:ada@example.com"}
    undefining = Client(
        http,
        base_url,
        await issue_key(settings, (Scope.STATEMENTS_WRITE, Scope.STATEMENTS_READ), tenant),
    )
    defining = Client(
        http,
        base_url,
        await issue_key(
            settings, (Scope.STATEMENTS_WRITE, Scope.STATEMENTS_READ, Scope.DEFINE), tenant
        ),
    )
    await client.store(
        statement({**ada, "name": "Ada"}, {"id": ACTIVITY, "definition": {"name": {"en": "Q"}}})
    )

    # Without define: its ids are saved, the canonical Person and Activity stay as they were.
    undefined_ids = await undefining.store(
        statement(
            {**ada, "name": "Mallory"},
            {"id": ACTIVITY, "definition": {"name": {"en": "Defaced"}, "description": {"en": "x"}}},
        ),
        statement(
            ada,
            {"id": "https://example.com/activities/undefined", "definition": {"name": {"en": "U"}}},
        ),
    )
    # With define (as with all): they change.
    await defining.store(
        statement({**ada, "name": "Ada L."}, {"id": ACTIVITY, "definition": {"name": {"en": "Q2"}}})
    )

    async def known() -> tuple[Any, Any, Any]:
        agent = (await client.get("agents", {"agent": orjson.dumps(ada).decode()}))[1]
        full = (await client.get("activities", {"activityId": ACTIVITY}))[1]
        bare = (
            await client.get(
                "activities", {"activityId": "https://example.com/activities/undefined"}
            )
        )[1]
        return orjson.loads(agent), orjson.loads(full), orjson.loads(bare)

    expected = (
        {"objectType": "Person", "name": ["Ada", "Ada L."], "mbox": [ada["mbox"]]},
        {"objectType": "Activity", "id": ACTIVITY, "definition": {"name": {"en": "Q2"}}},
        {"objectType": "Activity", "id": "https://example.com/activities/undefined"},
    )
    assert await known() == expected

    # The worker, writing the same statements again, knows they came without define too.
    async def routed() -> list[object]:
        claims = [keys.statement_claim(tenant, i) for i in undefined_ids]
        return [await redis.hget(claim, ClaimField.APPLIED_BY) for claim in claims]

    await until(routed, lambda applied: None not in applied, what="the worker's write")
    assert await known() == expected
    # A replay knows which statements came without define (the record says so).
    await redis.delete(*[key async for key in redis.scan_iter(match=f"lr:{{t:{tenant}}}*")])
    await run_lr(settings, "replay", "--tenant", tenant, "--yes")
    assert await known() == expected


@pytest.mark.parametrize(
    ("path", "params"),
    [("agents", {"agent": '{"mbox":"mailto:a@b.c"}'}), ("activities", {"activityId": ACTIVITY})],
)
async def test_a_key_that_cannot_read_statements_is_403_2_4_s3_b2(
    http: aiohttp.ClientSession,
    base_url: str,
    settings: Settings,
    path: str,
    params: dict[str, str],
) -> None:
    key = await issue_key(settings, (Scope.STATE, Scope.PROFILE, Scope.STATEMENTS_WRITE))

    assert (await Client(http, base_url, key).get(path, params))[0] == 403
