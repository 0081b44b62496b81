"""xAPI 1.0.3 protocol rules on the xAPI resources (Communication 3.3 and 1.2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import aiohttp
import orjson
import pytest

from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.integration.kafka_io import produce
from tests.waiting import until

STATEMENT = {
    "actor": {"mbox": "mailto:protocol@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
    "object": {"id": "https://example.org/activities/protocol"},
}


async def test_about_needs_no_version_header_and_lists_1_0_x(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    async with http.get(f"{base_url}/about") as response:
        assert response.status == 200
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert (await response.json())["version"][0] == "1.0.3"


async def test_head_of_about_has_headers_and_no_body(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    async with http.head(f"{base_url}/about") as response:
        assert response.status == 200
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert await response.read() == b""


@pytest.mark.parametrize(
    ("version", "status"),
    [(None, 400), ("0.95", 400), ("1.1.0", 400), ("2.0.0", 400), ("1.0", 404), ("1.0.9", 404)],
    ids=[
        "missing_3.3.s3.b4.1",
        "older_3.3.s3.b4",
        "1.1_3.3.s3.b6",
        "2.0",
        "1.0_accepted_3.3.s3.b3",
        "any_1.0.x_accepted_3.3.s3.b5",
    ],
)
async def test_version_header_rules(
    http: aiohttp.ClientSession,
    base_url: str,
    tenant_key: IssuedKey,
    version: str | None,
    status: int,
) -> None:
    headers = {"x-api-key": tenant_key.header_value}
    if version is not None:
        headers["X-Experience-API-Version"] = version
    url = f"{base_url}/statements?statementId={uuid.uuid4()}"
    async with http.get(url, headers=headers) as response:
        assert response.status == status  # 404: accepted, and no such statement
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert (await response.json())["error"]["message"]


async def test_statement_write_with_a_wrong_content_type_is_400(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    headers = {
        "x-api-key": tenant_key.header_value,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "text/plain",
    }
    async with http.post(f"{base_url}/statements", data=b"{}", headers=headers) as response:
        assert response.status == 400
        assert "Content-Type" in (await response.json())["error"]["message"]


async def test_product_endpoints_do_not_follow_xapi_header_rules(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    async with http.get(f"{base_url}/health") as response:
        assert response.status == 200
        assert "X-Experience-API-Version" not in response.headers


async def test_consistent_through_reaches_a_statement_produced_straight_to_kafka(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    key = await issue_key(settings)
    statement_id = str(uuid.uuid4())
    await produce(settings, [orjson.dumps(STATEMENT | {"id": statement_id})], key.record.tenant)
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    url = f"{base_url}/statements?statementId={statement_id}"

    async def fetch() -> tuple[int, str, dict[str, object]]:
        async with http.get(url, headers=headers) as response:
            body = await response.json()
            return response.status, response.headers["X-Experience-API-Consistent-Through"], body

    _, _, stored = await until(fetch, lambda r: r[0] == 200, what="statement in the view")
    # Consistent-through follows the worker's committed offsets (committed every few seconds).
    _, through, _ = await until(
        fetch, lambda r: r[1] >= str(stored["stored"]), within_s=30, what="consistent-through"
    )
    assert datetime.fromisoformat(through) <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("statements", {"statementId": "5e5a4bd2-22f4-4ad4-8c8b-7f0d1e8c2f11"}),
        ("activities/state", {"activityId": "https://x.org/a", "agent": "{}", "stateId": "s"}),
        ("activities/profile", {"activityId": "https://x.org/a", "profileId": "none"}),
        ("agents/profile", {"agent": '{"mbox":"mailto:a@b.c"}', "profileId": "none"}),
        ("agents", {"agent": '{"mbox":"mailto:a@b.c"}'}),
        ("activities", {"activityId": "https://x.org/a"}),
    ],
)
async def test_every_xapi_resource_needs_the_version_header_before_anything_else_3_3(
    http: aiohttp.ClientSession,
    base_url: str,
    tenant_key: IssuedKey,
    path: str,
    params: dict[str, str],
) -> None:
    headers = {"x-api-key": tenant_key.header_value}
    for method in ("GET", "HEAD", "DELETE") if "profile" in path else ("GET", "HEAD"):
        async with http.request(
            method, f"{base_url}/{path}", params=params, headers=headers
        ) as response:
            assert response.status == 400
            assert response.headers["X-Experience-API-Version"] == "1.0.3"
