"""The statement resource's writes and single reads (xAPI Communication 2.1.1, 2.1.2, 2.1.4):
PUT and POST, conflicts, voiding, and GET by statementId or voidedStatementId."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import orjson
import pytest
from redis.asyncio import Redis

from learning_record.domain.access import IssuedKey
from learning_record.domain.statement_index import content_digest
from learning_record.platform.settings import Settings
from learning_record.store.statement_entries import Claim
from learning_record.store.statements import reserve
from tests.integration.kafka_io import produce
from tests.waiting import until

XAPI = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def statement(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:grace@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://example.org/activities/intro"},
    }
    return base | overrides


def voiding(target_id: str, **overrides: Any) -> dict[str, Any]:
    return statement(
        verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target_id}, **overrides
    )


class Client:
    """One tenant's view of the statement resource."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, key: IssuedKey) -> None:
        self.http = http
        self.url = f"{base_url}/statements"
        self.headers = {**XAPI, "x-api-key": key.header_value}

    async def post(self, body: Any) -> tuple[int, Any]:
        async with self.http.post(self.url, json=body, headers=self.headers) as response:
            return response.status, await response.json()

    async def put(self, body: Any, params: dict[str, str]) -> tuple[int, Any]:
        async with self.http.put(
            self.url, json=body, params=params, headers=self.headers
        ) as response:
            payload = await response.read()
            return response.status, orjson.loads(payload) if payload else None

    async def get(self, params: dict[str, str]) -> tuple[int, Any]:
        async with self.http.get(self.url, params=params, headers=self.headers) as response:
            return response.status, await response.json()


@pytest.fixture
def client(http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey) -> Client:
    return Client(http, base_url, tenant_key)


def without_lrs_fields(stored: dict[str, Any]) -> dict[str, Any]:
    """The statement as sent: without what the LRS set (a missing timestamp is the stored
    time, Data 2.4.7.s3.b2)."""
    filled = {"stored", "authority"}
    if stored.get("timestamp") == stored["stored"]:
        filled.add("timestamp")
    return {k: v for k, v in stored.items() if k not in filled}


# --- PUT --------------------------------------------------------------------------------------


async def test_put_stores_the_statement_and_answers_204(client: Client) -> None:
    sent = statement()
    assert await client.put(sent, {"statementId": sent["id"]}) == (204, None)
    status, stored = await client.get({"statementId": sent["id"]})
    assert status == 200
    assert without_lrs_fields(stored) == sent


@pytest.mark.parametrize("shape", ["exact", "ids", "canonical"])
async def test_a_statement_without_timestamp_has_its_stored_time_in_every_format(
    client: Client, shape: str
) -> None:
    sent = statement()
    await client.post(sent)

    status, single = await client.get({"statementId": sent["id"], "format": shape})
    _, page = await client.get({"format": shape, "limit": "1"})

    assert status == 200
    assert single["timestamp"] == single["stored"]
    assert page["statements"][0]["timestamp"] == single["stored"]


async def test_a_statement_sent_again_without_timestamp_is_the_same_statement(
    client: Client,
) -> None:
    sent = statement()
    await client.post(sent)

    assert await client.post(sent) == (200, [sent["id"]])


async def test_a_single_statement_has_its_stored_time_as_last_modified_2_1_3_s2_b8(
    client: Client,
) -> None:
    sent = statement()
    await client.post(sent)
    async with client.http.get(
        client.url, params={"statementId": sent["id"]}, headers=client.headers
    ) as response:
        stored = datetime.fromisoformat((await response.json())["stored"])
        last_modified = parsedate_to_datetime(response.headers["Last-Modified"])
    assert last_modified == stored.replace(microsecond=0)


async def test_put_takes_the_id_from_the_parameter_when_the_statement_has_none(
    client: Client,
) -> None:
    statement_id = str(uuid.uuid4())
    sent = {k: v for k, v in statement().items() if k != "id"}
    assert await client.put(sent, {"statementId": statement_id}) == (204, None)
    status, stored = await client.get({"statementId": statement_id})
    assert (status, stored["id"]) == (200, statement_id)


async def test_put_of_the_same_content_again_is_204_and_changes_nothing(client: Client) -> None:
    sent = statement()
    await client.put(sent, {"statementId": sent["id"]})
    _, first = await client.get({"statementId": sent["id"]})
    assert await client.put(sent, {"statementId": sent["id"]}) == (204, None)
    assert await client.get({"statementId": sent["id"]}) == (200, first)


async def test_put_of_other_content_under_a_stored_id_is_409_and_changes_nothing(
    client: Client,
) -> None:
    sent = statement()
    await client.put(sent, {"statementId": sent["id"]})
    _, first = await client.get({"statementId": sent["id"]})
    other = sent | {"verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}}
    status, body = await client.put(other, {"statementId": sent["id"]})
    assert (status, body["error"]["code"]) == (409, "conflict")
    assert await client.get({"statementId": sent["id"]}) == (200, first)


@pytest.mark.parametrize(
    ("params", "body", "reason"),
    [
        ({}, statement(), "statementId is required"),
        ({"statementId": "not-a-uuid"}, statement(), "must be a UUID"),
        ({"statementId": str(uuid.uuid4())}, statement(), "differs from the statementId"),
        ({"statementId": str(uuid.uuid4())}, [statement()], "not an array"),
        ({"statementId": str(uuid.uuid4()), "verb": "x:y"}, statement(), "verb"),
    ],
    ids=["missing_id", "malformed_id", "body_id_differs", "array_body", "unknown_parameter"],
)
async def test_put_refusals_are_400(
    client: Client, params: dict[str, str], body: Any, reason: str
) -> None:
    status, answer = await client.put(body, params)
    assert status == 400
    assert reason in answer["error"]["message"]


async def test_concurrent_puts_of_different_content_under_one_id_one_204_one_409(
    client: Client,
) -> None:
    for _ in range(10):
        first = statement()
        second = first | {"object": {"id": "https://example.org/activities/other"}}
        params = {"statementId": first["id"]}
        answers = await asyncio.gather(client.put(first, params), client.put(second, params))
        assert sorted(status for status, _ in answers) == [204, 409]
        winner = first if answers[0][0] == 204 else second
        _, stored = await client.get(params)
        assert without_lrs_fields(stored) == winner


# --- POST -------------------------------------------------------------------------------------


async def test_post_of_a_batch_returns_its_ids_in_order(client: Client) -> None:
    batch = [statement(), statement()]
    assert await client.post(batch) == (200, [s["id"] for s in batch])


async def test_post_of_stored_statements_again_returns_their_ids_and_changes_nothing(
    client: Client,
) -> None:
    batch = [statement(), statement()]
    await client.post(batch)
    _, first = await client.get({"statementId": batch[0]["id"]})
    assert await client.post(batch) == (200, [s["id"] for s in batch])
    assert await client.get({"statementId": batch[0]["id"]}) == (200, first)


async def test_post_with_a_conflicting_id_is_409_and_stores_none_of_the_batch(
    client: Client,
) -> None:
    stored = statement()
    await client.post(stored)
    fresh = statement()
    clash = stored | {"verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}}
    status, body = await client.post([fresh, clash])
    assert (status, body["error"]["details"]["statementId"]) == (409, stored["id"])
    assert (await client.get({"statementId": fresh["id"]}))[0] == 404


async def test_post_repeating_an_id_in_one_batch_is_400(client: Client) -> None:
    sent = statement()
    status, body = await client.post([sent, statement(id=sent["id"])])
    assert (status, body["error"]["details"]["path"]) == (400, "[1].id")
    assert (await client.get({"statementId": sent["id"]}))[0] == 404


async def test_a_reservation_whose_produce_failed_is_stored_by_a_retry_of_the_same_content(
    client: Client, redis: Redis, tenant_key: IssuedKey
) -> None:
    sent = statement()
    # What a request leaves behind when Kafka refuses its batch: the id reserved, nothing more.
    claim = Claim(sent["id"], content_digest(sent), None)
    await reserve(redis, tenant_key.record.tenant, [claim], now_ms=1_700_000_000_000)
    assert (await client.get({"statementId": sent["id"]}))[0] == 404
    assert await client.put(sent, {"statementId": sent["id"]}) == (204, None)
    status, stored = await client.get({"statementId": sent["id"]})
    assert (status, without_lrs_fields(stored)) == (200, sent)
    other = sent | {"verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}}
    assert (await client.post(other))[0] == 409


# --- Voiding ----------------------------------------------------------------------------------


async def test_a_voided_statement_is_found_only_by_voided_statement_id(client: Client) -> None:
    target = statement()
    voider = voiding(target["id"])
    await client.post(target)
    assert (await client.post(voider))[0] == 200
    assert (await client.get({"statementId": target["id"]}))[0] == 404
    status, found = await client.get({"voidedStatementId": target["id"]})
    assert (status, found["id"]) == (200, target["id"])
    assert (await client.get({"statementId": voider["id"]}))[0] == 200
    assert (await client.get({"voidedStatementId": voider["id"]}))[0] == 404


async def test_a_statement_voided_before_it_arrives_is_voided_when_it_does(
    client: Client,
) -> None:
    target = statement()
    await client.post(voiding(target["id"]))
    await client.post(target)
    assert (await client.get({"statementId": target["id"]}))[0] == 404
    assert (await client.get({"voidedStatementId": target["id"]}))[0] == 200


async def test_voiding_a_voiding_statement_is_400(client: Client) -> None:
    voider = voiding(str(uuid.uuid4()))
    await client.post(voider)
    status, body = await client.post(voiding(voider["id"]))
    assert (status, body["error"]["details"]["path"]) == (400, "object.id")


async def test_voiding_a_voiding_statement_of_the_same_batch_is_400(client: Client) -> None:
    voider = voiding(str(uuid.uuid4()))
    status, body = await client.post([voider, voiding(voider["id"])])
    assert (status, body["error"]["details"]["path"]) == (400, "[1].object.id")
    assert (await client.get({"statementId": voider["id"]}))[0] == 404


# --- GET of one statement ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"statementId": "STATEMENT", "voidedStatementId": "STATEMENT"},
        {"statementId": "STATEMENT", "verb": "http://adlnet.gov/expapi/verbs/experienced"},
        {"voidedStatementId": "STATEMENT", "limit": "1"},
        {"statementId": "not-a-uuid"},
    ],
    ids=["both_ids_2.1.3.s2.b1", "id_with_filter_2.1.3.s2.b2", "voided_with_limit", "malformed"],
)
async def test_single_statement_requests_that_are_400(
    client: Client, params: dict[str, str]
) -> None:
    sent = statement()
    await client.post(sent)
    asked = {k: sent["id"] if v == "STATEMENT" else v for k, v in params.items()}
    assert (await client.get(asked))[0] == 400


async def test_single_statement_accepts_format_and_attachments(client: Client) -> None:
    sent = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "saw"}}
    )
    await client.post(sent)
    status, found = await client.get(
        {"statementId": sent["id"], "format": "ids", "attachments": "false"}
    )
    assert status == 200, found
    assert found["verb"] == {"id": sent["verb"]["id"]}


# --- Statements produced straight to Kafka ----------------------------------------------------


async def test_direct_statements_land_in_the_same_view_and_a_known_id_is_not_indexed_twice(
    client: Client, settings: Settings, tenant_key: IssuedKey
) -> None:
    verb = {"id": f"https://example.org/verbs/{uuid.uuid4()}"}
    via_api = statement(verb=verb)
    await client.post(via_api)
    direct = statement(verb=verb)
    await produce(settings, [orjson.dumps([via_api, direct])], tenant_key.record.tenant)
    await until(
        lambda: client.get({"statementId": direct["id"]}),
        lambda answer: answer[0] == 200,
        what="direct statement stored",
    )
    status, result = await client.get({"verb": verb["id"]})
    assert status == 200
    assert [s["id"] for s in result["statements"]] == [direct["id"], via_api["id"]]
