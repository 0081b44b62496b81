"""The document resources over HTTP (xAPI Communication 2.2 to 2.7, 3.1 and 1.1): State,
Activity Profile and Agent Profile, with the real broker and Redis behind the API."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import orjson
import pytest

from learning_record.domain.access import IssuedKey, Scope, key_authority
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.integration.kafka_io import read_matching
from tests.waiting import until

ACTIVITY = "https://example.com/activities/course"
AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
REGISTRATION = "9e2a1ad4-6e5b-4a2f-8b0e-0b2c1f0e7d11"
STATE = {"activityId": ACTIVITY, "agent": orjson.dumps(AGENT).decode()}
ACTIVITY_PROFILE = {"activityId": ACTIVITY}
AGENT_PROFILE = {"agent": orjson.dumps(AGENT).decode()}
IFI_AGENTS = [
    {"mbox": "mailto:one@example.com"},
    {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
    {"openid": "https://openid.example.org/one"},
    {"account": {"homePage": "https://lms.example.com", "name": "one"}},
]


class Client:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, key: IssuedKey) -> None:
        self.http, self.base_url, self.key = http, base_url, key

    async def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: bytes | None = None,
        **headers: str,
    ) -> tuple[int, bytes, Mapping[str, str]]:
        sent = {"x-api-key": self.key.header_value, "X-Experience-API-Version": "1.0.3"}
        sent |= {name.replace("_", "-"): value for name, value in headers.items()}
        url = f"{self.base_url}/{path}"
        async with self.http.request(
            method, url, params=params, data=body, headers=sent
        ) as response:
            return response.status, await response.read(), response.headers


@pytest.fixture
def client(http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey) -> Client:
    return Client(http, base_url, tenant_key)


def etag(content: bytes) -> str:
    return f'"{hashlib.sha1(content).hexdigest()}"'


def with_id(params: Mapping[str, str], **more: str) -> dict[str, str]:
    return {**params, **more}


RESOURCES = [
    ("activities/state", STATE, "stateId"),
    ("activities/profile", ACTIVITY_PROFILE, "profileId"),
    ("agents/profile", AGENT_PROFILE, "profileId"),
]


@pytest.mark.parametrize(("path", "context", "id_name"), RESOURCES)
async def test_put_then_get_returns_the_document_with_etag_and_last_modified(
    client: Client, path: str, context: dict[str, str], id_name: str
) -> None:
    params = with_id(context, **{id_name: "doc"})
    status, _, _ = await client.call(
        "PUT",
        path,
        params,
        b"binary \x00 content",
        Content_Type="application/octet-stream",
        If_None_Match="*",
    )
    assert status == 204

    status, body, headers = await client.call("GET", path, params)
    assert (status, body) == (200, b"binary \x00 content")
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["ETag"] == etag(b"binary \x00 content")
    assert headers["Last-Modified"].endswith(" GMT")
    assert headers["X-Experience-API-Version"] == "1.0.3"
    # No transfer encoding, so the ETag is the SHA-1 of these very bytes (3.1.s4.b2-b3).
    assert "Transfer-Encoding" not in headers
    assert headers["Content-Length"] == str(len(body))

    status, body, head = await client.call("HEAD", path, params)
    assert (status, body, head["ETag"]) == (200, b"", headers["ETag"])


@pytest.mark.parametrize(("path", "context", "id_name"), RESOURCES)
async def test_post_merges_json_objects_and_refuses_anything_else_2_2_s8(
    client: Client, path: str, context: dict[str, str], id_name: str
) -> None:
    params = with_id(context, **{id_name: "vars"})
    json = {"Content_Type": "application/json"}
    assert (await client.call("POST", path, params, b'{"x":"foo","y":"bar"}', **json))[0] == 204
    assert (await client.call("POST", path, params, b'{"x":"bash","z":"faz"}', **json))[0] == 204

    status, body, _ = await client.call("GET", path, params)
    assert (status, orjson.loads(body)) == (200, {"x": "bash", "y": "bar", "z": "faz"})

    assert (await client.call("POST", path, params, b"[1]", **json))[0] == 400
    assert (await client.call("POST", path, params, b"{}", Content_Type="text/plain"))[0] == 400
    assert orjson.loads((await client.call("GET", path, params))[1]) == {
        "x": "bash",
        "y": "bar",
        "z": "faz",
    }


@pytest.mark.parametrize(("path", "context", "id_name"), RESOURCES)
async def test_concurrency_headers_3_1(
    client: Client, path: str, context: dict[str, str], id_name: str
) -> None:
    params = with_id(context, **{id_name: "guarded"})
    first, second = b'{"v":1}', b'{"v":2}'
    assert (await client.call("PUT", path, params, first, If_None_Match="*"))[0] == 204

    assert (await client.call("PUT", path, params, second, If_None_Match="*"))[0] == 412
    assert (await client.call("PUT", path, params, second, If_Match=etag(b"old")))[0] == 412
    assert (await client.call("POST", path, params, second, If_Match=etag(b"old")))[0] == 412
    assert (await client.call("DELETE", path, params, If_Match=etag(b"old")))[0] == 412
    assert (await client.call("DELETE", path, params, If_None_Match="*"))[0] == 412
    assert (await client.call("POST", path, params, b"{}", If_None_Match="*"))[0] == 412
    assert (await client.call("GET", path, params))[1] == first  # no refusal changed it
    assert (await client.call("PUT", path, params, second, If_Match=etag(first)))[0] == 204

    status, body, headers = await client.call("GET", path, params)
    assert (status, body, headers["ETag"]) == (200, second, etag(second))
    assert (await client.call("DELETE", path, params, If_Match=etag(second)))[0] == 204
    assert (await client.call("GET", path, params))[0] == 404


@pytest.mark.parametrize(
    ("path", "context"),
    [("activities/profile", ACTIVITY_PROFILE), ("agents/profile", AGENT_PROFILE)],
)
async def test_profile_put_or_delete_of_an_existing_document_without_headers_is_409(
    client: Client, path: str, context: dict[str, str]
) -> None:
    params = with_id(context, profileId="p")
    assert (await client.call("PUT", path, params, b"{}"))[0] == 204  # new: no header needed

    status, body, _ = await client.call("PUT", path, params, b'{"a":1}')
    assert status == 409
    assert "If-Match" in orjson.loads(body)["error"]["message"]
    assert (await client.call("DELETE", path, params))[0] == 409
    assert (await client.call("GET", path, params))[1] == b"{}"


async def test_state_puts_and_deletes_need_no_header_3_1_s3(client: Client) -> None:
    params = with_id(STATE, stateId="s")
    assert (await client.call("PUT", "activities/state", params, b"1"))[0] == 204
    assert (await client.call("PUT", "activities/state", params, b"2"))[0] == 204
    assert (await client.call("DELETE", "activities/state", params))[0] == 204
    assert (await client.call("GET", "activities/state", params))[0] == 404


@pytest.mark.parametrize(("path", "context", "id_name"), RESOURCES)
async def test_ids_listing_with_since_is_exclusive_2_3_s4(
    client: Client, path: str, context: dict[str, str], id_name: str
) -> None:
    await client.call("PUT", path, with_id(context, **{id_name: "a"}), b"1")
    _, _, first = await client.call("GET", path, with_id(context, **{id_name: "a"}))
    status, body, headers = await client.call("GET", path, context)
    assert (status, orjson.loads(body)) == (200, ["a"])
    assert headers["ETag"] == etag(body)
    assert headers["Last-Modified"] == first["Last-Modified"]

    since = datetime.now(UTC)  # after "a" changed, before "b" does: the API shares our clock
    await until(_now, lambda now: now > since + timedelta(milliseconds=1), what="the next ms")
    await client.call("PUT", path, with_id(context, **{id_name: "b"}), b"2")

    later = await client.call("GET", path, with_id(context, since=since.isoformat()))
    assert orjson.loads(later[1]) == ["b"]
    # The same instant at another offset is the same bound.
    elsewhere = since.astimezone(timezone(timedelta(hours=-5))).isoformat()
    assert orjson.loads((await client.call("GET", path, with_id(context, since=elsewhere)))[1]) == [
        "b"
    ]
    far = "2999-01-01T00:00:00Z"
    assert orjson.loads((await client.call("GET", path, with_id(context, since=far)))[1]) == []


async def _now() -> datetime:
    return datetime.now(UTC)


async def test_state_registration_scopes_single_documents_listing_and_delete(
    client: Client,
) -> None:
    registered = with_id(STATE, registration=REGISTRATION)
    await client.call("PUT", "activities/state", with_id(STATE, stateId="plain"), b"p")
    await client.call("PUT", "activities/state", with_id(registered, stateId="reg"), b"r")

    assert (await client.call("GET", "activities/state", with_id(STATE, stateId="reg")))[0] == 404
    assert orjson.loads((await client.call("GET", "activities/state", registered))[1]) == ["reg"]
    assert orjson.loads((await client.call("GET", "activities/state", STATE))[1]) == [
        "plain",
        "reg",
    ]

    assert (await client.call("DELETE", "activities/state", registered))[0] == 204
    assert orjson.loads((await client.call("GET", "activities/state", STATE))[1]) == ["plain"]
    assert (await client.call("DELETE", "activities/state", STATE))[0] == 204
    assert orjson.loads((await client.call("GET", "activities/state", STATE))[1]) == []


@pytest.mark.parametrize("agent", IFI_AGENTS)
async def test_an_agent_of_each_ifi_kind_names_its_documents(
    client: Client, agent: dict[str, Any]
) -> None:
    params = {"agent": orjson.dumps(agent).decode(), "profileId": "p"}
    assert (await client.call("PUT", "agents/profile", params, b"x"))[0] == 204
    assert (await client.call("GET", "agents/profile", params))[1] == b"x"
    state = {"activityId": ACTIVITY, "agent": params["agent"], "stateId": "s"}
    assert (await client.call("PUT", "activities/state", state, b"y"))[0] == 204
    assert (await client.call("GET", "activities/state", state))[1] == b"y"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("activities/state", {**STATE, "stateId": "s", "unknown": "1"}),
        ("activities/state", {**STATE, "stateId": "s", "registration": "not-a-uuid"}),
        ("activities/state", {"activityId": "not an iri", "agent": STATE["agent"]}),
        ("activities/state", {"activityId": ACTIVITY, "agent": "{not json"}),
        ("activities/state", {"activityId": ACTIVITY, "agent": '{"mbox":"not-mailto"}'}),
        ("activities/state", {"activityId": ACTIVITY}),
        ("agents/profile", {"agent": '{"objectType":"Group","member":[]}', "profileId": "p"}),
        ("agents/profile", {**AGENT_PROFILE, "profileId": "p", "since": "yesterday"}),
        ("activities/profile", {"activityId": ACTIVITY, "profileId": "p", "stateId": "s"}),
    ],
)
async def test_bad_or_unknown_parameters_are_400(
    client: Client, path: str, params: dict[str, str]
) -> None:
    status, body, _ = await client.call("GET", path, params)
    assert status == 400
    assert orjson.loads(body)["error"]["code"] == "bad_request"


@pytest.mark.parametrize(("path", "context", "id_name"), RESOURCES)
@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_a_put_or_post_without_a_document_id_is_400(
    client: Client, method: str, path: str, context: dict[str, str], id_name: str
) -> None:
    assert (await client.call(method, path, context, b"{}"))[0] == 400
    assert orjson.loads((await client.call("GET", path, context))[1]) == []


@pytest.mark.parametrize(("path", "context", "id_name"), RESOURCES)
@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "POST", "DELETE"])
async def test_an_unknown_parameter_is_400_on_every_method_and_changes_nothing(
    client: Client, method: str, path: str, context: dict[str, str], id_name: str
) -> None:
    params = with_id(context, **{id_name: "doc"})
    await client.call("PUT", path, params, b"{}", If_None_Match="*")

    status, _, _ = await client.call(method, path, {**params, "stateid": "x"}, b'{"a":1}')

    assert status == 400
    assert (await client.call("GET", path, params))[1] == b"{}"


async def test_a_document_id_is_unique_within_its_activity_and_agent_only_2_2(
    client: Client,
) -> None:
    other_agent = orjson.dumps({"mbox": "mailto:other@example.com"}).decode()
    named_agent = orjson.dumps({**AGENT, "name": "A name does not count"}).decode()
    other_activity = "https://example.com/activities/other"
    contexts = {
        b"state": ("activities/state", STATE),
        b"state of another agent": ("activities/state", {**STATE, "agent": other_agent}),
        b"state of another activity": (
            "activities/state",
            {**STATE, "activityId": other_activity},
        ),
        b"profile": ("activities/profile", ACTIVITY_PROFILE),
        b"profile of another activity": ("activities/profile", {"activityId": other_activity}),
        b"agent profile": ("agents/profile", AGENT_PROFILE),
        b"agent profile of another agent": ("agents/profile", {"agent": other_agent}),
    }
    for content, (path, context) in contexts.items():
        id_name = "stateId" if path == "activities/state" else "profileId"
        assert (await client.call("PUT", path, with_id(context, **{id_name: "same"}), content))[
            0
        ] == 204

    for content, (path, context) in contexts.items():
        id_name = "stateId" if path == "activities/state" else "profileId"
        assert (await client.call("GET", path, with_id(context, **{id_name: "same"})))[1] == content
    named = with_id(AGENT_PROFILE, agent=named_agent, profileId="same")
    assert (await client.call("GET", "agents/profile", named))[1] == b"agent profile"


async def test_a_request_without_the_version_header_is_400(client: Client) -> None:
    url = f"{client.base_url}/activities/state"
    headers = {"x-api-key": client.key.header_value}
    async with client.http.get(url, params=STATE, headers=headers) as response:
        assert response.status == 400


async def test_scopes_state_and_profile_3_1_4_2(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    state_key = await issue_key(settings, (Scope.STATE,))
    reader = await issue_key(settings, (Scope.ALL_READ,), tenant=state_key.record.tenant)
    state = Client(http, base_url, state_key)
    assert (await state.call("PUT", "activities/state", with_id(STATE, stateId="s"), b"x"))[
        0
    ] == 204
    assert (await state.call("GET", "activities/profile", ACTIVITY_PROFILE))[0] == 403
    read = Client(http, base_url, reader)
    assert (await read.call("GET", "activities/state", with_id(STATE, stateId="s")))[1] == b"x"
    assert (await read.call("PUT", "activities/state", with_id(STATE, stateId="s"), b"y"))[0] == 403


async def test_a_read_mine_key_reaches_only_its_own_agent_s_documents(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    key = await issue_key(settings, (Scope.STATE, Scope.STATEMENTS_READ_MINE))
    mine = Client(http, base_url, key)
    own = orjson.dumps(key_authority(key.record.key_id)).decode()
    own_state = {"activityId": ACTIVITY, "agent": own, "stateId": "s"}

    assert (await mine.call("PUT", "activities/state", own_state, b"x"))[0] == 204
    assert (await mine.call("GET", "activities/state", with_id(STATE, stateId="s")))[0] == 403
    assert (await mine.call("GET", "activities/state", STATE))[0] == 403


async def test_documents_are_the_tenant_s_own(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, client: Client
) -> None:
    params = with_id(ACTIVITY_PROFILE, profileId="private")
    await client.call("PUT", "activities/profile", params, b"secret")
    other = Client(http, base_url, await issue_key(settings))

    assert (await other.call("GET", "activities/profile", params))[0] == 404
    assert orjson.loads((await other.call("GET", "activities/profile", ACTIVITY_PROFILE))[1]) == []


async def test_each_change_is_on_the_documents_topic_before_the_answer(
    client: Client, settings: Settings
) -> None:
    params = with_id(ACTIVITY_PROFILE, profileId="logged")
    await client.call("PUT", "activities/profile", params, b"v1", Content_Type="text/plain")
    await client.call("DELETE", "activities/profile", params, If_Match=etag(b"v1"))

    key = orjson.dumps(
        [client.key.record.tenant, "activity-profile", ACTIVITY, None, None, "logged"]
    )
    records = await read_matching(
        settings, settings.kafka.documents_topic, lambda r: r.key == key, expected=2
    )
    assert [r.value for r in records] == [b"v1", None]
    assert dict(records[0].headers)["content-type"] == b"text/plain"


async def test_alternate_syntax_reaches_the_document_resources_1_3(client: Client) -> None:
    form = {
        **STATE,
        "stateId": "alt",
        "content": '{"a":1}',
        "Content-Type": "application/json",
        "X-Experience-API-Version": "1.0.3",
    }
    url = f"{client.base_url}/activities/state?method=PUT"
    headers = {"x-api-key": client.key.header_value}
    async with client.http.post(url, data=form, headers=headers) as response:
        assert response.status == 204
    assert (await client.call("GET", "activities/state", with_id(STATE, stateId="alt")))[1] == (
        b'{"a":1}'
    )


async def test_two_racing_if_match_writers_one_wins_one_gets_412_3_1(client: Client) -> None:
    params = with_id(ACTIVITY_PROFILE, profileId="raced")
    await client.call("PUT", "activities/profile", params, b'{"v":0}', If_None_Match="*")
    seen = etag(b'{"v":0}')

    outcomes = await asyncio.gather(
        client.call("PUT", "activities/profile", params, b'{"v":1}', If_Match=seen),
        client.call("PUT", "activities/profile", params, b'{"v":2}', If_Match=seen),
    )

    statuses = sorted(status for status, _, _ in outcomes)
    assert statuses == [204, 412]
    winner = b'{"v":1}' if outcomes[0][0] == 204 else b'{"v":2}'
    assert (await client.call("GET", "activities/profile", params))[1] == winner


async def test_head_of_an_ids_listing_has_its_headers_and_no_body_1_1(client: Client) -> None:
    await client.call("PUT", "agents/profile", with_id(AGENT_PROFILE, profileId="p"), b"x")
    _, body, get = await client.call("GET", "agents/profile", AGENT_PROFILE)

    status, head_body, head = await client.call("HEAD", "agents/profile", AGENT_PROFILE)

    assert (status, head_body) == (200, b"")
    assert (head["ETag"], head["Last-Modified"]) == (get["ETag"], get["Last-Modified"])
    assert body == b'["p"]'
