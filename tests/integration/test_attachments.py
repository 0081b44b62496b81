"""Statements with attachments and signatures over HTTP (xAPI Communication 1.5 and 2.1, Data
2.4.11 and 2.6): multipart/mixed in, multipart/mixed out with ``attachments=true``, and the
content made durable on the attachments topic before the statement is acknowledged."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from redis.asyncio import Redis

from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from learning_record.store import keys
from tests.integration.kafka_io import read_matching
from tests.integration.test_statement_resource import statement
from tests.unit.test_attachments_multipart import (
    CONTENT_TYPE,
    FILE_URL,
    TEXT,
    TEXT_SHA2,
    data_part,
    json_part,
    multipart_body,
    parsed_response,
    text_attachment,
)
from tests.unit.test_signatures import jws_of, signed

VERSION = {"X-Experience-API-Version": "1.0.3"}

# A part as received: its headers (lowercase names) and its data.
Part = tuple[dict[str, str], bytes]


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str  # the whole header, parameters included
    body: bytes


class Client:
    """One tenant's view of the statement resource, in JSON or multipart/mixed."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, key: IssuedKey) -> None:
        self.http = http
        self.url = f"{base_url}/statements"
        self.headers = {**VERSION, "x-api-key": key.header_value}
        self.tenant = key.record.tenant

    async def post_json(self, body: Any) -> tuple[int, Any]:
        async with self.http.post(
            self.url, data=orjson.dumps(body), headers=self._with("application/json")
        ) as response:
            return response.status, await response.json()

    async def post_multipart(
        self, body: bytes, content_type: str = CONTENT_TYPE
    ) -> tuple[int, Any]:
        async with self.http.post(
            self.url, data=body, headers=self._with(content_type)
        ) as response:
            return response.status, await response.json()

    async def put_multipart(self, body: bytes, statement_id: str) -> int:
        async with self.http.put(
            self.url,
            data=body,
            params={"statementId": statement_id},
            headers=self._with(CONTENT_TYPE),
        ) as response:
            return response.status

    async def get(self, params: dict[str, str]) -> Answer:
        async with self.http.get(self.url, params=params, headers=self.headers) as response:
            return Answer(response.status, response.headers["Content-Type"], await response.read())

    async def get_parts(self, params: dict[str, str]) -> list[Part]:
        answer = await self.get({**params, "attachments": "true"})
        assert answer.status == 200, answer.body
        return parts_of(answer.content_type, answer.body)

    def _with(self, content_type: str) -> dict[str, str]:
        return {**self.headers, "Content-Type": content_type}


@pytest.fixture
def client(http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey) -> Client:
    return Client(http, base_url, tenant_key)


def parts_of(content_type: str, body: bytes) -> list[Part]:
    """The parts of a multipart/mixed response, read by the standard library's MIME parser."""
    return parsed_response(body, content_type)


def with_text(**overrides: Any) -> dict[str, Any]:
    """A statement with one attachment whose content is TEXT."""
    return statement(attachments=[text_attachment()], **overrides)


def assert_is_text_part(part: Part) -> None:
    headers, data = part
    assert data == TEXT
    assert headers["x-experience-api-hash"] == TEXT_SHA2
    assert headers["content-transfer-encoding"] == "binary"
    assert headers["content-type"] == "text/plain"


async def records_so_far(
    settings: Settings, topic: str, key: bytes
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record with ``key`` acknowledged so far: the topic read up to its end offsets."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(settings.kafka.partitions)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += [r for r in batch if r.key == key]
        return records
    finally:
        await consumer.stop()


# --- Writing ----------------------------------------------------------------------------------


async def test_multipart_statement_with_attachment_is_returned_with_its_data_1_5_2_s3_b4(
    client: Client,
) -> None:
    sent = with_text()
    status, ids = await client.post_multipart(multipart_body(json_part(sent), data_part(TEXT)))
    assert status == 200, ids
    assert ids == [sent["id"]]

    first, *attachments = await client.get_parts({"statementId": sent["id"]})

    assert first[0]["content-type"] == "application/json"
    returned = orjson.loads(first[1])
    assert returned["id"] == sent["id"]
    assert returned["attachments"] == sent["attachments"]
    assert len(attachments) == 1
    assert_is_text_part(attachments[0])


async def test_put_of_a_multipart_statement_stores_its_attachment_1_5_2_s2_b2_b2(
    client: Client,
) -> None:
    sent = with_text()

    status = await client.put_multipart(
        multipart_body(json_part(sent), data_part(TEXT)), sent["id"]
    )

    assert status == 204
    _, attachment = await client.get_parts({"statementId": sent["id"]})
    assert_is_text_part(attachment)


async def test_attachment_content_is_on_the_attachments_topic_before_the_ack(
    client: Client, settings: Settings
) -> None:
    status, ids = await client.post_multipart(
        multipart_body(json_part(with_text()), data_part(TEXT))
    )
    assert status == 200, ids
    key = f"{client.tenant}|{TEXT_SHA2}".encode()

    records = await read_matching(
        settings, settings.kafka.attachments_topic, lambda r: r.key == key, expected=1
    )

    assert [r.value for r in records] == [TEXT]
    assert ("content-type", b"text/plain") in records[0].headers
    assert ("lr-tenant", client.tenant.encode()) in records[0].headers


async def test_the_same_attachment_is_stored_once_1_5_2_s2_b2_b5(
    client: Client, settings: Settings
) -> None:
    # Two statements of one batch, then a third request: the same data each time.
    batch = [with_text(), with_text()]
    status, _ = await client.post_multipart(multipart_body(json_part(batch), data_part(TEXT)))
    assert status == 200
    later = with_text()
    status, _ = await client.post_multipart(multipart_body(json_part(later), data_part(TEXT)))
    assert status == 200

    records = await records_so_far(
        settings, settings.kafka.attachments_topic, f"{client.tenant}|{TEXT_SHA2}".encode()
    )

    assert len(records) == 1
    _, *attachments = await client.get_parts({"statementId": later["id"]})
    assert len(attachments) == 1


async def test_json_statement_with_attachment_without_file_url_is_rejected_1_5_2_s2_b1(
    client: Client,
) -> None:
    sent = with_text()

    status, error = await client.post_json(sent)

    assert status == 400
    assert error["error"]["details"]["path"] == "attachments[0].fileUrl"
    assert (await client.get({"statementId": sent["id"]})).status == 404


async def test_json_statement_with_only_file_url_attachments_is_accepted_1_5_1_s1_b2(
    client: Client,
) -> None:
    sent = statement(attachments=[text_attachment(fileUrl=FILE_URL)])

    status, ids = await client.post_json(sent)

    assert status == 200, ids
    # Nothing to send but the statement: the attachment's data is elsewhere (1.5.2.s5).
    [(_, data)] = await client.get_parts({"statementId": sent["id"]})
    assert orjson.loads(data)["attachments"][0]["fileUrl"] == FILE_URL


async def test_part_whose_data_does_not_match_its_hash_is_rejected_1_5_2_s1_b4(
    client: Client, redis: Redis
) -> None:
    sent = with_text()
    forged = data_part(b"other data than was hashed", X_Experience_API_Hash=TEXT_SHA2)

    status, error = await client.post_multipart(multipart_body(json_part(sent), forged))

    assert status == 400
    assert "does not hash to its X-Experience-API-Hash" in error["error"]["message"]
    assert (await client.get({"statementId": sent["id"]})).status == 404
    assert not await redis.exists(keys.attachment(client.tenant, TEXT_SHA2))


async def test_attachment_without_data_or_file_url_is_rejected_1_5_2_s3_b5(
    client: Client,
) -> None:
    status, error = await client.post_multipart(multipart_body(json_part(with_text())))

    assert status == 400
    assert error["error"]["details"]["path"] == "attachments[0].sha2"


async def test_malformed_multipart_body_is_a_json_400_rfc_2046(client: Client) -> None:
    body = multipart_body(json_part(with_text()), data_part(TEXT))

    status, error = await client.post_multipart(body, content_type="multipart/mixed")

    assert status == 400
    assert error["error"]["code"] == "invalid_statement"
    assert "boundary" in error["error"]["message"]


# --- Reading ----------------------------------------------------------------------------------


async def test_query_with_attachments_true_answers_multipart_statement_result_2_1_3_s2_b6(
    client: Client,
) -> None:
    other = b"a second attachment"
    other_attachment = text_attachment(length=len(other), sha2=hashlib.sha256(other).hexdigest())
    first_sent = with_text()
    second_sent = statement(attachments=[other_attachment, text_attachment()])
    for sent, parts in ((first_sent, [TEXT]), (second_sent, [other, TEXT])):
        body = multipart_body(json_part(sent), *(data_part(data) for data in parts))
        status, _ = await client.post_multipart(body)
        assert status == 200

    (headers, result), *attachments = await client.get_parts({"ascending": "true"})

    assert headers["content-type"] == "application/json"
    statements = orjson.loads(result)["statements"]
    assert [s["id"] for s in statements] == [first_sent["id"], second_sent["id"]]
    # One part per attachment, even when two statements share it (1.5.2.s2.b2.b5).
    assert sorted(data for _, data in attachments) == sorted([TEXT, other])
    for part_headers, data in attachments:
        assert part_headers["x-experience-api-hash"] == hashlib.sha256(data).hexdigest()


async def test_attachments_false_answers_json_without_data_2_1_3_s2_b7(client: Client) -> None:
    sent = with_text()
    status, _ = await client.post_multipart(multipart_body(json_part(sent), data_part(TEXT)))
    assert status == 200

    for params in ({"statementId": sent["id"]}, {"attachments": "false"}):
        answer = await client.get(params)
        assert answer.status == 200
        assert answer.content_type == "application/json"


# --- Signed statements ------------------------------------------------------------------------


def signed_request(sent: dict[str, Any], jws: bytes) -> bytes:
    return multipart_body(json_part(sent), data_part(jws, Content_Type="application/octet-stream"))


async def test_signed_statement_is_accepted_and_returned_with_its_signature_2_6_s4(
    client: Client,
) -> None:
    original = statement()
    jws = jws_of(original)
    sent = signed(original, jws)

    status, ids = await client.post_multipart(signed_request(sent, jws))

    assert status == 200, ids
    _, (headers, data) = await client.get_parts({"statementId": sent["id"]})
    assert data == jws
    assert headers["content-type"] == "application/octet-stream"


async def test_statement_differing_from_its_jws_payload_is_rejected_2_6_s5_b3_b2(
    client: Client,
) -> None:
    original = statement()
    jws = jws_of(original)
    sent = signed(original | {"verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}, jws)

    status, error = await client.post_multipart(signed_request(sent, jws))

    assert status == 400
    assert error["error"]["details"]["path"] == "verb.id"
    assert (await client.get({"statementId": sent["id"]})).status == 404


async def test_signed_statement_in_json_is_rejected_2_6_s5_b3(client: Client) -> None:
    original = statement(id=str(uuid.uuid4()))
    jws = jws_of(original)

    status, error = await client.post_json(signed(original, jws))

    assert status == 400
    assert error["error"]["details"]["path"] == "attachments[0].fileUrl"
