"""HTTP behaviour of the API over a real Redis, Kafka replaced by doubles (``api_app``): the
endpoint declarations enforce what they document, each sub-app applies its own rules."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid

import pytest
from redis.asyncio import Redis

from learning_record.api import attachments
from learning_record.api.openapi import openapi_document
from learning_record.domain.access import Scope
from learning_record.store.attachments import fetch_attachment
from tests.component.api_app import ApiUnderTest, api_under_test
from tests.unit.factories import make_statement
from tests.unit.test_attachments_multipart import (
    CONTENT_TYPE,
    data_part,
    json_part,
    multipart_body,
    text_attachment,
)

XAPI = {"X-Experience-API-Version": "1.0.3"}


async def test_a_posted_statement_is_one_log_record_and_is_read_back(api: ApiUnderTest) -> None:
    key = api.kafka.keys.issue()
    headers = {**XAPI, "x-api-key": key.header_value}
    statement_id = str(uuid.uuid4())

    async with api.client.post(
        api.url("/statements"), json=make_statement(id=statement_id), headers=headers
    ) as response:
        assert response.status == 200
        assert await response.json() == [statement_id]
    ((tenant, (document,), _),) = api.kafka.statements.batches
    assert (tenant, document["id"]) == ("acme", statement_id)

    async with api.client.get(
        api.url("/statements"), params={"statementId": statement_id}, headers=headers
    ) as response:
        assert response.status == 200
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert "X-Experience-API-Consistent-Through" in response.headers
        assert await response.json() == document


async def test_every_operation_with_scopes_refuses_a_request_without_a_key(
    api: ApiUnderTest,
) -> None:
    """The declaration enforces what it documents: no action can forget its key check."""
    document = openapi_document(api.client.app, "/learningrecord/v1", "test")
    guarded = [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]
    assert (
        len(guarded) == 33
    )  # statements 3, documents 12, agents and activities 2, indicators 9, process 2, ops 2
    for method, path in guarded:
        concrete = path.replace("{learner_id}", "0" * 32).replace("{erasure_id}", "e" * 8)
        async with api.client.request(method, concrete, headers=XAPI, json={}) as response:
            assert response.status == 401, (method, path, await response.text())
            assert response.headers["WWW-Authenticate"].startswith("Basic")


async def test_a_key_without_the_scope_is_403_naming_it(api: ApiUnderTest) -> None:
    key = api.kafka.keys.issue(scopes=(Scope.INDICATORS_READ,))
    headers = {**XAPI, "x-api-key": key.header_value}
    async with api.client.post(
        api.url("/statements"), json=make_statement(), headers=headers
    ) as response:
        assert response.status == 403
        assert (await response.json())["error"]["details"] == {"needed": ["statements/write"]}
    assert api.kafka.statements.batches == []


async def test_parameters_are_checked_only_once_the_key_is(api: ApiUnderTest) -> None:
    async with api.client.get(api.url("/indicators/learner"), params={"window": "x"}) as response:
        assert response.status == 401
    key = api.kafka.keys.issue()
    async with api.client.get(
        api.url("/indicators/learner"),
        params={"window": "x"},
        headers={"x-api-key": key.header_value},
    ) as response:
        assert response.status == 400


async def test_each_sub_app_answers_a_foreign_media_type_its_own_way(api: ApiUnderTest) -> None:
    key = api.kafka.keys.issue()
    headers = {"x-api-key": key.header_value, "Content-Type": "text/plain"}
    async with api.client.post(
        api.url("/indicators/query"), data=b"{}", headers=headers
    ) as response:
        assert response.status == 415  # a product endpoint
        assert response.headers["Accept-Post"] == "application/json"
    async with api.client.post(
        api.url("/statements"), data=b"{}", headers={**headers, **XAPI}
    ) as response:
        assert response.status == 400  # an xAPI resource: the spec's answer
        assert response.headers["X-Experience-API-Version"] == "1.0.3"


async def test_only_xapi_resources_need_and_answer_the_version_header(api: ApiUnderTest) -> None:
    key = api.kafka.keys.issue()
    async with api.client.get(
        api.url("/statements"), headers={"x-api-key": key.header_value}
    ) as response:
        assert response.status == 400
        assert (
            "X-Experience-API-Version header is required"
            in (await response.json())["error"]["message"]
        )
    async with api.client.get(api.url("/about")) as response:
        assert response.status == 200  # 3.3.s3.b4.1: any version, or none
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
    async with api.client.get(api.url("/health")) as response:
        assert response.status == 200
        assert "X-Experience-API-Version" not in response.headers


async def test_a_form_query_carries_the_rate_limit_of_the_request_it_stands_for(
    api: ApiUnderTest,
) -> None:
    key = api.kafka.keys.issue(plan="pro")
    form = {"X-Experience-API-Version": "1.0.3", "limit": "1"}
    async with api.client.post(
        api.url("/statements"),
        params={"method": "GET"},
        data=form,
        headers={"x-api-key": key.header_value},
    ) as response:
        assert response.status == 200
        assert response.headers["RateLimit-Limit"] == "5"
        assert response.headers["RateLimit-Remaining"] == "4"


async def test_a_broker_that_is_down_is_a_503_and_nothing_is_charged(api: ApiUnderTest) -> None:
    key = api.kafka.keys.issue()
    api.kafka.statements.failing = True
    async with api.client.post(
        api.url("/statements"),
        json=make_statement(id=str(uuid.uuid4())),
        headers={**XAPI, "x-api-key": key.header_value},
    ) as response:
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"
        assert (await response.json())["error"]["code"] == "kafka_unavailable"


async def test_attachments_of_a_page_past_the_body_limit_are_a_413_one_statement_is_not(
    redis: Redis, redis_url: str
) -> None:
    """The answer with attachments is capped at the request body limit, which any one
    statement's attachments fit in (they came in one request)."""
    async for api in api_under_test(redis_url, max_body_bytes=2048):
        key = api.kafka.keys.issue()
        headers = {**XAPI, "x-api-key": key.header_value}
        for letter in b"abc":
            data = bytes([letter]) * 800
            attachment = {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "notes"},
                "contentType": "text/plain",
                "length": len(data),
                "sha2": hashlib.sha256(data).hexdigest(),
            }
            statement = make_statement(id=str(uuid.uuid4()), attachments=[attachment])
            async with api.client.post(
                api.url("/statements"),
                data=multipart_body(json_part(statement), data_part(data)),
                headers={**headers, "Content-Type": CONTENT_TYPE},
            ) as response:
                assert response.status == 200

        async with api.client.get(
            api.url("/statements"), params={"attachments": "true"}, headers=headers
        ) as response:
            assert response.status == 413
            error = (await response.json())["error"]
        assert (error["code"], error["details"]) == (
            "attachments_too_large",
            {"limit": 2048, "size": 2400},
        )
        async with api.client.get(
            api.url("/statements"), params={"attachments": "true", "limit": "1"}, headers=headers
        ) as response:
            assert response.status == 200
            assert response.content_type == "multipart/mixed"


async def test_attachments_stream_the_first_part_is_sent_before_the_last_attachment_is_read(
    api: ApiUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer with attachments streams (chunked) and holds one attachment at a time: while
    the read of the last attachment is held back, the client already has every part before it."""
    key = api.kafka.keys.issue()
    headers = {**XAPI, "x-api-key": key.header_value}
    big, last = b"a" * 200_000, b"last attachment"  # big spans several chunks of the stream
    big_sha2, last_sha2 = (hashlib.sha256(data).hexdigest() for data in (big, last))
    statement_id = str(uuid.uuid4())
    statement = make_statement(
        id=statement_id,
        attachments=[
            text_attachment(length=len(data), sha2=sha2)
            for data, sha2 in ((big, big_sha2), (last, last_sha2))
        ],
    )
    async with api.client.post(
        api.url("/statements"),
        data=multipart_body(json_part(statement), data_part(big), data_part(last)),
        headers={**headers, "Content-Type": CONTENT_TYPE},
    ) as response:
        assert response.status == 200
    async with api.client.get(
        api.url("/statements"), params={"statementId": statement_id}, headers=headers
    ) as response:
        statement_json = await response.read()

    last_read_allowed = asyncio.Event()

    async def held_back_fetch(redis: Redis, tenant: str, sha2: str) -> object:
        if sha2 == last_sha2:
            await last_read_allowed.wait()
        return await fetch_attachment(redis, tenant, sha2)

    monkeypatch.setattr(attachments, "fetch_attachment", held_back_fetch)
    params = {"statementId": statement_id, "attachments": "true"}
    # Deadlines: an answer built whole is not sent at all while the last read waits.
    answer = api.client.get(api.url("/statements"), params=params, headers=headers)
    async with await asyncio.wait_for(answer, 30) as response:
        assert response.status == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert "X-Experience-API-Consistent-Through" in response.headers
        found = re.fullmatch(
            r"multipart/mixed; boundary=(xapi-[0-9a-f]{32})", response.headers["Content-Type"]
        )
        assert found is not None
        delimiter = b"--" + found.group(1).encode()

        def head(sha2: str) -> bytes:
            return (
                b"\r\n" + delimiter + b"\r\nContent-Type: text/plain\r\n"
                b"Content-Transfer-Encoding: binary\r\n"
                b"X-Experience-API-Hash: " + sha2.encode() + b"\r\n\r\n"
            )

        before_last = (
            delimiter
            + b"\r\nContent-Type: application/json\r\n\r\n"
            + statement_json
            + head(big_sha2)
            + big
        )
        received = await asyncio.wait_for(response.content.readexactly(len(before_last)), 30)
        last_read_allowed.set()
        rest = await response.content.read()

    assert received == before_last
    assert rest == head(last_sha2) + last + b"\r\n" + delimiter + b"--\r\n"
