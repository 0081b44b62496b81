"""GET /statements as a query (xAPI Communication 2.1.3): filters, order, pages, formats,
voided statements and tenants."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from learning_record.domain import ingest
from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.integration.test_statement_resource import Client, statement, voiding
from tests.waiting import until

ADA = {"objectType": "Agent", "mbox": "mailto:ada@example.org"}
BOB = {"mbox": "mailto:bob@example.org"}
CARL = {"account": {"homePage": "https://example.org", "name": "carl"}}
DAN = {"objectType": "Agent", "openid": "https://example.org/dan"}
A, B = "https://example.org/activities/a", "https://example.org/activities/b"
P, Q = "https://example.org/activities/parent", "https://example.org/activities/grouping"
R1 = "4d4c3e5e-2b1a-4f0e-9a55-0a5c2f8e7b61"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"

# Posted one by one in this order, so their sequences (and stored times) are in this order.
CORPUS: dict[str, dict[str, Any]] = {
    "s1": {
        "actor": ADA,
        "verb": {"id": COMPLETED},
        "object": {"id": A},
        "context": {"registration": R1, "contextActivities": {"parent": [{"id": P}]}},
    },
    "s2": {
        "actor": BOB,
        "verb": {"id": ATTEMPTED},
        "object": {"id": B},
        "context": {"instructor": ADA},
    },
    "s3": {
        "actor": {"objectType": "Group", "member": [ADA, CARL]},
        "verb": {"id": ATTEMPTED},
        "object": DAN,
    },
    "s4": {
        "actor": CARL,
        "verb": {"id": COMPLETED},
        "object": {
            "objectType": "SubStatement",
            "actor": ADA,
            "verb": {"id": EXPERIENCED},
            "object": {"id": A},
            "context": {"contextActivities": {"grouping": [{"id": Q}]}},
        },
    },
    "s5": {"actor": BOB, "verb": {"id": EXPERIENCED}, "object": {"id": A}},
}


def as_json(value: Any) -> str:
    return orjson.dumps(value).decode()


@pytest.fixture
def client(http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey) -> Client:
    return Client(http, base_url, tenant_key)


@pytest.fixture
async def corpus(client: Client) -> dict[str, str]:
    """The id of each statement of CORPUS, posted in order."""
    ids = {}
    for name, sent in CORPUS.items():
        status, posted = await client.post(sent)
        assert status == 200
        ids[name] = posted[0]
    return ids


async def query(client: Client, params: dict[str, str]) -> list[str]:
    status, result = await client.get(params)
    assert status == 200, result
    assert result["more"] == ""
    return [s["id"] for s in result["statements"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["s5", "s4", "s3", "s2", "s1"]),
        ({"agent": as_json(ADA)}, ["s3", "s1"]),
        ({"agent": as_json(ADA | {"name": "Someone else"})}, ["s3", "s1"]),
        ({"agent": as_json(ADA), "related_agents": "true"}, ["s4", "s3", "s2", "s1"]),
        ({"agent": as_json(DAN)}, ["s3"]),
        ({"agent": as_json(CARL)}, ["s4", "s3"]),
        ({"verb": COMPLETED}, ["s4", "s1"]),
        ({"activity": A}, ["s5", "s1"]),
        ({"activity": A, "related_activities": "true"}, ["s5", "s4", "s1"]),
        ({"activity": P}, []),
        ({"activity": P, "related_activities": "true"}, ["s1"]),
        ({"activity": Q, "related_activities": "true"}, ["s4"]),
        ({"registration": R1}, ["s1"]),
        ({"verb": ATTEMPTED, "agent": as_json(BOB)}, ["s2"]),
        ({"verb": ATTEMPTED, "agent": as_json(ADA)}, ["s3"]),
        ({"verb": COMPLETED, "agent": as_json(ADA), "activity": A}, ["s1"]),
        ({"ascending": "true"}, ["s1", "s2", "s3", "s4", "s5"]),
        ({"verb": EXPERIENCED, "ascending": "false"}, ["s5"]),
        ({"attachments": "false", "verb": ATTEMPTED}, ["s3", "s2"]),
    ],
    ids=[
        "no_filter_newest_first",
        "agent_as_actor_object_or_group_member",
        "agent_matched_by_ifi_not_name",
        "related_agents_adds_instructor_and_substatement",
        "agent_as_object",
        "agent_by_account",
        "verb",
        "activity_as_object",
        "related_activities_adds_substatement",
        "context_activity_is_not_the_activity",
        "related_activities_adds_context_activities",
        "related_activities_in_substatement_context",
        "registration",
        "verb_and_agent",
        "verb_and_group_member",
        "three_filters",
        "ascending",
        "ascending_false",
        "attachments_accepted",
    ],
)
async def test_filters(
    client: Client, corpus: dict[str, str], params: dict[str, str], expected: list[str]
) -> None:
    assert await query(client, params) == [corpus[name] for name in expected]


async def test_related_agents_matches_the_authority(
    client: Client, corpus: dict[str, str], tenant_key: IssuedKey
) -> None:
    authority = {"account": {"homePage": "urn:learningrecord:api-key", "name": ""}}
    authority["account"]["name"] = tenant_key.record.key_id
    params = {"agent": as_json(authority), "related_agents": "true"}
    assert await query(client, params) == [corpus[n] for n in ("s5", "s4", "s3", "s2", "s1")]
    assert await query(client, {"agent": as_json(authority)}) == []


async def test_since_is_exclusive_and_until_inclusive_on_stored(
    client: Client, corpus: dict[str, str]
) -> None:
    _, result = await client.get({"ascending": "true"})
    stored = {s["id"]: datetime.fromisoformat(s["stored"]) for s in result["statements"]}
    since, until_ = result["statements"][1]["stored"], result["statements"][3]["stored"]
    low, high = datetime.fromisoformat(since), datetime.fromisoformat(until_)
    cases: list[tuple[dict[str, str], datetime | None, datetime | None]] = [
        ({"since": since}, low, None),
        ({"until": until_}, None, high),
        ({"since": since, "until": until_}, low, high),
    ]
    for params, after, at_most in cases:
        expected = [
            sid
            for sid, t in stored.items()
            if (after is None or t > after) and (at_most is None or t <= at_most)
        ]
        assert await query(client, {**params, "ascending": "true"}) == expected, params
    assert await query(client, {"since": "2999-01-01T00:00:00Z"}) == []
    assert await query(client, {"until": "2000-01-01T00:00:00Z"}) == []


async def test_no_match_is_200_with_an_empty_list_and_no_more(client: Client) -> None:
    status, result = await client.get({"verb": "https://example.org/verbs/never"})
    assert (status, result) == (200, {"statements": [], "more": ""})


# --- Pages ------------------------------------------------------------------------------------


async def follow(http: aiohttp.ClientSession, client: Client, more: str) -> dict[str, Any]:
    assert more.startswith("/learningrecord/v1/statements?")
    origin = client.url.split("/learningrecord/")[0]
    async with http.get(f"{origin}{more}", headers=client.headers) as response:
        assert response.status == 200
        return dict(await response.json())


@pytest.mark.parametrize("ascending", [False, True], ids=["newest_first", "oldest_first"])
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "by_verb"])
async def test_pages_neither_shift_repeat_nor_skip_while_statements_arrive(
    http: aiohttp.ClientSession, client: Client, ascending: bool, filtered: bool
) -> None:
    verb = {"id": f"https://example.org/verbs/{uuid.uuid4()}"}
    sent = [statement(verb=verb) for _ in range(7)]
    for one in sent:
        await client.post(one)
    expected = [s["id"] for s in (sent if ascending else reversed(sent))]
    params = {"limit": "3", "ascending": "true" if ascending else "false"}
    if filtered:
        params["verb"] = verb["id"]
    status, page = await client.get(params)
    assert status == 200
    pages = [[s["id"] for s in page["statements"]]]
    while page["more"]:
        await client.post([statement(verb=verb), statement()])  # arrivals between pages
        page = await follow(http, client, page["more"])
        pages.append([s["id"] for s in page["statements"]])
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [sid for page_ids in pages for sid in page_ids] == expected


async def test_limit_zero_means_the_server_maximum(client: Client) -> None:
    await client.post([statement() for _ in range(3)])
    status, result = await client.get({"limit": "0"})
    assert (status, len(result["statements"]), result["more"]) == (200, 3, "")


# --- Voided statements, formats, tenants ------------------------------------------------------


async def test_voided_statements_are_left_out_and_their_voiding_statement_is_listed(
    client: Client,
) -> None:
    kept, voided = statement(), statement()
    voider = voiding(voided["id"])
    await client.post([kept, voided])
    await client.post(voider)
    assert await query(client, {}) == [voider["id"], kept["id"]]
    # The voiding statement points to a statement with that verb (2.1.4.s1.b2).
    assert await query(client, {"verb": kept["verb"]["id"]}) == [voider["id"], kept["id"]]


async def test_format_ids_keeps_only_what_identifies(client: Client) -> None:
    sent = statement(
        actor={"objectType": "Agent", "name": "Grace", "mbox": "mailto:grace@example.org"},
        verb={"id": COMPLETED, "display": {"en-US": "completed"}},
        object={"objectType": "Activity", "id": A, "definition": {"name": {"en-US": "A"}}},
    )
    await client.post(sent)
    status, result = await client.get({"format": "ids"})
    shown = result["statements"][0]
    assert status == 200
    assert shown["actor"] == {"objectType": "Agent", "mbox": "mailto:grace@example.org"}
    assert shown["verb"] == {"id": COMPLETED}
    assert shown["object"] == {"id": A}


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("fr;q=0.9, de;q=0.5", {"fr": "terminé"}),
        ("de-AT, en;q=0.1", {"en-US": "completed"}),
        ("es", {"en-US": "completed"}),
        ("*", {"en-US": "completed"}),
    ],
    ids=["best_quality", "prefix_match", "no_match_first_entry", "any"],
)
async def test_format_canonical_keeps_the_preferred_language(
    client: Client, accept_language: str, expected: dict[str, str]
) -> None:
    display = {"en-US": "completed", "fr": "terminé", "de-DE": "abgeschlossen"}
    sent = statement(
        verb={"id": COMPLETED, "display": display},
        object={"id": A, "definition": {"name": display}},
    )
    await client.post(sent)
    client.headers = {**client.headers, "Accept-Language": accept_language}
    _, result = await client.get({"format": "canonical"})
    shown = result["statements"][0]
    assert (shown["verb"]["display"], shown["object"]["definition"]["name"]) == (
        expected,
        expected,
    )
    _, exact = await client.get({})
    assert exact["statements"][0]["verb"]["display"] == display


async def test_a_tenant_queries_only_its_own_statements(
    http: aiohttp.ClientSession, base_url: str, client: Client, settings: Settings
) -> None:
    verb = {"id": f"https://example.org/verbs/{uuid.uuid4()}"}
    await client.post(statement(verb=verb))
    other = Client(http, base_url, await issue_key(settings))
    assert await query(other, {}) == []
    assert await query(other, {"verb": verb["id"]}) == []


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"Verb": COMPLETED}, "Verb"),
        ({"statementid": str(uuid.uuid4())}, "statementid"),
        ({"page": "2"}, "page"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"ascending": "True"}, "ascending"),
        ({"related_agents": "1"}, "related_agents"),
        ({"format": "full"}, "format"),
        ({"since": "yesterday"}, "since"),
        ({"agent": "mailto:ada@example.org"}, "agent"),
        ({"agent": as_json({"objectType": "Group", "member": [ADA]})}, "agent"),
        ({"agent": as_json({"mbox": "mailto:a@example.org", "openid": "https://x.org"})}, "agent"),
        ({"verb": "not an iri"}, "verb"),
        ({"registration": "not-a-uuid"}, "registration"),
        ({"cursor": "next"}, "cursor"),
    ],
    ids=[
        "wrong_case",
        "wrong_case_statement_id",
        "unknown",
        "negative_limit",
        "limit_not_a_number",
        "boolean_not_json",
        "boolean_as_number",
        "unknown_format",
        "since_not_a_timestamp",
        "agent_not_json",
        "agent_anonymous_group",
        "agent_with_two_ifis",
        "verb_not_an_iri",
        "registration_not_a_uuid",
        "cursor_not_ours",
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(
    client: Client, params: dict[str, str], parameter: str
) -> None:
    status, body = await client.get(params)
    assert (status, body["error"]["details"]["parameter"]) == (400, parameter)


async def test_a_repeated_parameter_is_400(client: Client) -> None:
    async with client.http.get(
        f"{client.url}?verb={COMPLETED}&verb={ATTEMPTED}", headers=client.headers
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["details"]["parameter"] == "verb"


async def test_since_and_until_find_a_statement_produced_straight_to_kafka_with_an_older_time(
    client: Client, settings: Settings, tenant_key: IssuedKey
) -> None:
    verb = {"id": f"https://example.org/verbs/{uuid.uuid4()}"}
    via_api, direct = statement(verb=verb), statement(verb=verb)
    await client.post(via_api)
    _, accepted = await client.get({"statementId": via_api["id"]})
    api_stored = datetime.fromisoformat(accepted["stored"])
    # Stored two seconds before the API's statement, but reaching the store after it.
    older_ms = round(api_stored.timestamp() * 1000) - 2_000
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.kafka.statements_topic,
            value=orjson.dumps(direct),
            timestamp_ms=older_ms,
            headers=[(ingest.TENANT_HEADER, tenant_key.record.tenant.encode())],
        )
    finally:
        await producer.stop()
    _, found = await until(
        lambda: client.get({"statementId": direct["id"]}),
        lambda answer: answer[0] == 200,
        what="direct statement stored",
    )
    direct_stored = found["stored"]
    assert await query(client, {"verb": verb["id"], "until": direct_stored}) == [direct["id"]]
    assert await query(client, {"verb": verb["id"], "since": direct_stored}) == [via_api["id"]]
    assert await query(client, {"until": direct_stored}) == [direct["id"]]
    earlier = datetime.fromisoformat(direct_stored) - timedelta(milliseconds=1)
    assert await query(client, {"verb": verb["id"], "since": earlier.isoformat()}) == [
        direct["id"],
        via_api["id"],
    ]


def reference(target_id: str, actor: dict[str, Any]) -> dict[str, Any]:
    return statement(
        actor=actor,
        verb={"id": "https://example.org/verbs/commented"},
        object={"objectType": "StatementRef", "id": target_id},
    )


@pytest.mark.parametrize("target_first", [True, False], ids=["target_first", "references_first"])
async def test_statements_pointing_to_a_match_match_too_2_1_3_s3(
    client: Client, target_first: bool
) -> None:
    target = statement(actor=ADA, verb={"id": COMPLETED}, object={"id": A})
    pointer = reference(target["id"], BOB)
    pointer_of_pointer = reference(pointer["id"], CARL)
    posts = [target, pointer, pointer_of_pointer]
    for sent in posts if target_first else reversed(posts):
        assert (await client.post(sent))[0] == 200
    ordered = [s["id"] for s in (reversed(posts) if target_first else posts)]
    for params in ({"agent": as_json(ADA)}, {"verb": COMPLETED}, {"activity": A}):
        assert await query(client, params) == ordered, params
    assert await query(client, {"agent": as_json(BOB)}) == [i for i in ordered if i != target["id"]]


async def test_a_voided_target_is_left_out_but_statements_pointing_to_it_are_listed(
    client: Client,
) -> None:
    target = statement(actor=ADA, verb={"id": COMPLETED}, object={"id": A})
    pointer = reference(target["id"], BOB)
    voider = voiding(target["id"], actor=CARL)
    for sent in (target, pointer, voider):
        await client.post(sent)
    expected = [voider["id"], pointer["id"]]
    assert await query(client, {"agent": as_json(ADA)}) == expected
    assert await query(client, {"activity": A}) == expected
    assert await query(client, {}) == expected
