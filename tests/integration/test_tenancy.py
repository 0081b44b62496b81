"""Tenancy on every endpoint: a key of tenant A never reads, counts, voids or infers anything
of tenant B. Each test acts in tenant B on what tenant A holds, and checks both sides."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from redis.asyncio import Redis

from learning_record.cli import keys_admin
from learning_record.domain.access import IssuedKey, Scope
from learning_record.platform.settings import Settings
from learning_record.store import keys
from tests.integration.conftest import issue_key
from tests.integration.test_attachments import Client as AttachmentClient
from tests.integration.test_attachments import with_text
from tests.integration.test_statement_resource import Client, statement, voiding
from tests.unit.test_attachments_multipart import (
    FILE_URL,
    TEXT,
    TEXT_SHA2,
    data_part,
    json_part,
    multipart_body,
    text_attachment,
)


@pytest.fixture
async def keys_ab(settings: Settings) -> tuple[IssuedKey, IssuedKey]:
    return (await issue_key(settings), await issue_key(settings))


@pytest.fixture
def tenants(
    http: aiohttp.ClientSession, base_url: str, keys_ab: tuple[IssuedKey, IssuedKey]
) -> tuple[Client, Client]:
    return Client(http, base_url, keys_ab[0]), Client(http, base_url, keys_ab[1])


async def test_b_cannot_read_a_statement_of_a_by_id_voided_id_or_query(
    tenants: tuple[Client, Client],
) -> None:
    a, b = tenants
    sent = statement()
    voided_one = statement()
    assert (await a.post([sent, voided_one]))[0] == 200
    assert (await a.post(voiding(voided_one["id"])))[0] == 200

    assert (await b.get({"statementId": sent["id"]}))[0] == 404
    assert (await b.get({"voidedStatementId": voided_one["id"]}))[0] == 404
    status, page = await b.get({"agent": '{"mbox": "mailto:grace@example.org"}'})
    assert (status, page) == (200, {"statements": [], "more": ""})
    status, page = await b.get({})
    assert (status, page) == (200, {"statements": [], "more": ""})
    # A sees its own, as a control.
    assert (await a.get({"statementId": sent["id"]}))[0] == 200
    assert (await a.get({"voidedStatementId": voided_one["id"]}))[0] == 200


async def test_b_reusing_an_id_of_a_is_not_a_conflict_2_1_1(
    tenants: tuple[Client, Client],
) -> None:
    a, b = tenants
    original = statement()
    assert (await a.post(original))[0] == 200
    other_content = statement(id=original["id"], verb={"id": "https://example.org/verbs/other"})

    # 204, not 409: the id is not taken in B, and B learns nothing of A from the answer.
    assert (await b.put(other_content, {"statementId": original["id"]}))[0] == 204
    again = statement(id=original["id"], object={"id": "https://example.org/activities/b"})
    assert (await b.post(again))[0] == 409  # B's own id now, B's own conflict

    status, in_a = await a.get({"statementId": original["id"]})
    assert (status, in_a["verb"]) == (200, original["verb"])
    status, in_b = await b.get({"statementId": original["id"]})
    assert (status, in_b["verb"]) == (200, other_content["verb"])


async def test_b_voiding_a_statement_id_of_a_voids_nothing_in_a_2_3_2(
    tenants: tuple[Client, Client],
) -> None:
    a, b = tenants
    target = statement()
    assert (await a.post(target))[0] == 200

    assert (await b.post(voiding(target["id"])))[0] == 200

    status, still = await a.get({"statementId": target["id"]})
    assert (status, still["id"]) == (200, target["id"])
    assert (await a.get({"voidedStatementId": target["id"]}))[0] == 404
    status, page = await a.get({"verb": "http://adlnet.gov/expapi/verbs/experienced"})
    assert [s["id"] for s in page["statements"]] == [target["id"]]


async def test_b_voiding_a_voiding_statement_of_a_is_not_refused(
    tenants: tuple[Client, Client],
) -> None:
    """A 400 "voids a voiding statement" would tell B that A holds a voiding statement."""
    a, b = tenants
    target = statement()
    a_voiding = voiding(target["id"])
    assert (await a.post([target, a_voiding]))[0] == 200

    status, ids = await b.post(voiding(a_voiding["id"]))
    assert (status, len(ids)) == (200, 1)


async def test_a_paging_cursor_of_a_shows_b_only_bs_statements(
    tenants: tuple[Client, Client],
) -> None:
    a, b = tenants
    assert (await a.post([statement() for _ in range(3)]))[0] == 200
    own = statement()
    assert (await b.post(own))[0] == 200
    status, page = await a.get({"limit": "1"})
    assert status == 200
    assert page["more"]

    status, page = await b.get(dict(parse_qsl(urlsplit(page["more"]).query)))

    # A's cursor is sequences only: in B it pages B's statements (B's first has sequence 1).
    assert status == 200
    assert [s["id"] for s in page["statements"]] == [own["id"]]


async def test_b_never_gets_the_attachment_content_of_a_1_5_2(
    http: aiohttp.ClientSession,
    base_url: str,
    keys_ab: tuple[IssuedKey, IssuedKey],
    redis: Redis,
) -> None:
    a = AttachmentClient(http, base_url, keys_ab[0])
    b = AttachmentClient(http, base_url, keys_ab[1])
    status, _ = await a.post_multipart(multipart_body(json_part(with_text()), data_part(TEXT)))
    assert status == 200

    # B names the same content by its SHA-2, with only a fileUrl: it must not get A's data.
    by_url = statement(attachments=[text_attachment(fileUrl=FILE_URL)])
    assert (await b.post_json(by_url))[0] == 200
    parts = await b.get_parts({"statementId": by_url["id"]})
    assert len(parts) == 1  # the statements, and no attachment part
    # Nor can B use A's content without sending it: no part for that SHA-2 is a 400.
    status, body = await b.post_multipart(multipart_body(json_part(with_text())))
    assert status == 400, body
    assert await redis.exists(keys.attachment(b.tenant, TEXT_SHA2)) == 0
    assert await redis.exists(keys.attachment(a.tenant, TEXT_SHA2)) == 1


async def test_every_redis_key_of_a_statement_carries_its_tenant(
    tenants: tuple[Client, Client],
    keys_ab: tuple[IssuedKey, IssuedKey],
    redis: Redis,
) -> None:
    a, _ = tenants
    tenant = keys_ab[0].record.tenant
    sent = statement(context={"registration": str(uuid.uuid4())})
    assert (await a.post(sent))[0] == 200

    touched: list[str] = []
    for value in (sent["id"], sent["context"]["registration"]):
        touched += [key.decode() async for key in redis.scan_iter(match=f"*{value}*")]

    assert sorted(touched) == sorted(
        [
            keys.statement(tenant, sent["id"]),
            keys.statement_claim(tenant, sent["id"]),
            keys.statement_index(tenant, f"registration:{sent['context']['registration']}"),
        ]
    )


async def test_the_quota_of_a_key_counts_only_its_own_statements(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    """Both keys have the same quota; A using all of its own leaves B's untouched."""
    a, b = [
        Client(
            http,
            base_url,
            await keys_admin.create_key(
                settings,
                tenant=f"t{uuid.uuid4().hex[:10]}",
                name="quota",
                scopes=(Scope.ALL,),
                plan="custom",
                statements_per_month=2,
            ),
        )
        for _ in range(2)
    ]
    assert (await a.post([statement(), statement()]))[0] == 200
    assert (await a.post(statement()))[0] == 429
    assert (await b.post([statement(), statement()]))[0] == 200
