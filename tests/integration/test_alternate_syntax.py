"""xAPI alternate request syntax (Communication 1.3), the way around header-less clients and
URLs longer than 8,192 bytes."""

from __future__ import annotations

import base64
import uuid

import aiohttp
import orjson

from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key

FORM = "application/x-www-form-urlencoded"


def statement(statement_id: str) -> dict[str, object]:
    return {
        "id": statement_id,
        "actor": {"mbox": "mailto:alt@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://example.org/activities/alt"},
    }


def basic(key: IssuedKey) -> str:
    return "Basic " + base64.b64encode(f"{key.record.key_id}:{key.secret}".encode()).decode()


async def test_put_with_headers_and_content_in_the_form_1_3_s3_b4_b7(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    statement_id = str(uuid.uuid4())
    form = {
        "statementId": statement_id,
        "content": orjson.dumps(statement(statement_id)).decode(),
        "Authorization": basic(tenant_key),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    async with http.post(f"{base_url}/statements?method=PUT", data=form) as response:
        assert response.status == 204
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
    headers = {"x-api-key": tenant_key.header_value, "X-Experience-API-Version": "1.0.3"}
    async with http.get(
        f"{base_url}/statements", params={"statementId": statement_id}, headers=headers
    ) as response:
        assert response.status == 200
        assert (await response.json())["verb"] == statement(statement_id)["verb"]


async def test_put_as_post_without_a_content_type_in_the_form_takes_json_1_3_s3_b10(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    statement_id = str(uuid.uuid4())
    form = {
        "statementId": statement_id,
        "content": orjson.dumps(statement(statement_id)).decode(),
        "Authorization": basic(tenant_key),
        "X-Experience-API-Version": "1.0.3",
    }
    async with http.post(f"{base_url}/statements?method=PUT", data=form) as response:
        assert response.status == 204
    headers = {"x-api-key": tenant_key.header_value, "X-Experience-API-Version": "1.0.3"}
    async with http.get(
        f"{base_url}/statements", params={"statementId": statement_id}, headers=headers
    ) as response:
        assert (await response.json())["id"] == statement_id


async def test_get_with_parameters_in_the_form_1_3_s3_b13(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    statement_id = str(uuid.uuid4())
    headers = {"x-api-key": tenant_key.header_value, "X-Experience-API-Version": "1.0.3"}
    async with http.put(
        f"{base_url}/statements",
        params={"statementId": statement_id},
        json=statement(statement_id),
        headers=headers,
    ) as response:
        assert response.status == 204
    form = {"statementId": statement_id, "X-Experience-API-Version": "1.0.3"}
    async with http.post(
        f"{base_url}/statements?method=GET",
        data=form,
        headers={"x-api-key": tenant_key.header_value},
    ) as response:
        assert response.status == 200
        assert (await response.json())["id"] == statement_id
        assert response.headers["X-Experience-API-Consistent-Through"]


async def test_a_query_too_long_for_a_url_goes_through_the_form(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    activity = "https://example.org/" + "a" * 9000
    form = {"activity": activity, "X-Experience-API-Version": "1.0.3"}
    headers = {"x-api-key": tenant_key.header_value}
    async with http.get(
        f"{base_url}/statements", params={"activity": activity}, headers=headers
    ) as response:
        assert response.status == 414
    async with http.post(
        f"{base_url}/statements?method=GET", data=form, headers=headers
    ) as response:
        assert response.status == 200
        assert await response.json() == {"statements": [], "more": ""}


async def test_other_query_parameters_beside_method_are_400_1_3_s3_b3(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    async with http.post(
        f"{base_url}/statements?method=GET&statementId={uuid.uuid4()}",
        data={"X-Experience-API-Version": "1.0.3"},
        headers={"x-api-key": tenant_key.header_value},
    ) as response:
        assert response.status == 400
        assert "1.3.s3.b3" in (await response.json())["error"]["message"]


async def test_alternate_request_must_be_a_form(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    async with http.post(
        f"{base_url}/statements?method=GET",
        json={"X-Experience-API-Version": "1.0.3"},
        headers={"x-api-key": tenant_key.header_value, "X-Experience-API-Version": "1.0.3"},
    ) as response:
        assert response.status == 400


async def test_version_header_in_the_form_is_still_required(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    async with http.post(
        f"{base_url}/statements?method=GET",
        data={"statementId": str(uuid.uuid4())},
        headers={"x-api-key": tenant_key.header_value, "Content-Type": FORM},
    ) as response:
        assert response.status == 400
        assert "X-Experience-API-Version" in (await response.json())["error"]["message"]


async def test_a_large_form_without_credentials_in_a_header_is_refused_before_it_is_read(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    """Authenticate first (issue #10): the credentials of a form are only looked for in a form
    small enough to read cheaply; a 10 MB one used to be parsed before any key was checked."""
    most = settings.api.unauthenticated_form_max_bytes
    form = {"X-Experience-API-Version": "1.0.3", "pad": "x" * most}
    async with http.post(f"{base_url}/statements?method=GET", data=form) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert "needs its credentials in a header" in (await response.json())["error"]["message"]


async def test_a_large_form_is_read_once_a_header_authenticates_it(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    key = await issue_key(settings, plan="ultra")  # a rate-limited plan: RateLimit-* headers
    form = {
        "X-Experience-API-Version": "1.0.3",
        "verb": "http://example.org/verbs/" + "v" * settings.api.unauthenticated_form_max_bytes,
    }
    headers = {"x-api-key": key.header_value}
    async with http.post(
        f"{base_url}/statements?method=GET", data=form, headers=headers
    ) as response:
        assert response.status == 200
        assert response.headers["RateLimit-Limit"] == "25"  # charged as the request it stands for
        assert (await response.json())["statements"] == []


async def test_wrong_credentials_in_a_header_are_refused_before_the_form_is_read(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    form = {"X-Experience-API-Version": "1.0.3", "pad": "x" * 1_000_000}
    headers = {"x-api-key": "nokey.nosecret"}
    async with http.post(
        f"{base_url}/statements?method=GET", data=form, headers=headers
    ) as response:
        assert response.status == 401
