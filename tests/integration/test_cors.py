"""CORS against a real `lr api` whose allowed origins differ per tenant: preflights answered
without a key, the actual request checked against the key's tenant, xAPI headers allowed and
exposed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import aiohttp
import pytest

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.access import IssuedKey, Scope
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.integration.test_statement_resource import statement
from tests.ports import free_ports

TENANT_A = f"cors-a-{uuid.uuid4().hex[:6]}"
TENANT_B = f"cors-b-{uuid.uuid4().hex[:6]}"
ORIGIN_A = "https://lms.a.example"
ORIGIN_B = "https://h5p.b.example"
EVERYONE = "https://content.example"
STRANGER = "https://evil.example"
XAPI = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture(scope="module")
def cors_api(shared_app: LocalStack) -> Iterator[str]:
    """An API process with origins configured per tenant, as an operator writes them."""
    (port,) = free_ports(1)
    settings = shared_app.settings.model_copy(
        update={"api": shared_app.settings.api.model_copy(update={"port": port})}
    )
    env = {
        "LR_CORS__DEFAULT_ORIGINS": json.dumps([EVERYONE]),
        "LR_CORS__ORIGINS": json.dumps({TENANT_A: [ORIGIN_A], TENANT_B: [ORIGIN_B]}),
        "LR_CORS__MAX_AGE_S": "120",
    }
    with LocalStack(settings) as processes:
        processes.start_api(extra_env=env)
        yield f"http://{settings.api.host}:{port}/learningrecord/v1"


@pytest.fixture
async def key_a(settings: Settings) -> IssuedKey:
    return await issue_key(settings, (Scope.ALL,), TENANT_A)


async def preflight(
    http: aiohttp.ClientSession,
    url: str,
    origin: str,
    method: str = "POST",
    headers: str = "authorization,content-type,x-experience-api-version",
) -> aiohttp.ClientResponse:
    async with http.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    ) as response:
        await response.read()
        return response


async def test_preflight_is_answered_without_a_key_with_the_xapi_headers(
    http: aiohttp.ClientSession, cors_api: str
) -> None:
    response = await preflight(http, f"{cors_api}/statements", ORIGIN_A)

    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN_A
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST, PUT"
    allowed = {h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {
        "X-Experience-API-Version",
        "Authorization",
        "Content-Type",
        "x-api-key",
        "If-Match",
        "If-None-Match",
    } <= allowed
    assert response.headers["Access-Control-Max-Age"] == "120"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.headers["Vary"]
    assert "RateLimit-Limit" not in response.headers  # no key, no rate limit


@pytest.mark.parametrize(
    ("origin", "method", "headers", "reason"),
    [
        (STRANGER, "POST", "content-type", "origin 'https://evil.example' is not allowed"),
        (ORIGIN_A, "DELETE", "content-type", "method DELETE is not allowed here"),
        (ORIGIN_A, "POST", "content-type,x-secret", "header 'x-secret' is not allowed"),
    ],
    ids=["unknown_origin", "method", "header"],
)
async def test_preflight_refusals_are_403_json_without_allow_origin(
    http: aiohttp.ClientSession,
    cors_api: str,
    origin: str,
    method: str,
    headers: str,
    reason: str,
) -> None:
    async with http.options(
        f"{cors_api}/statements",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    ) as response:
        assert response.status == 403
        assert "Access-Control-Allow-Origin" not in response.headers
        error = (await response.json())["error"]
    assert error["code"] == "cors_preflight_refused"
    assert error["message"].startswith(reason)


async def test_preflight_of_an_unknown_path_is_404(
    http: aiohttp.ClientSession, cors_api: str
) -> None:
    response = await preflight(http, f"{cors_api}/no-such-thing", ORIGIN_A)
    assert response.status == 404


async def test_request_from_an_origin_of_its_tenant_is_readable_with_exposed_headers(
    http: aiohttp.ClientSession, cors_api: str, key_a: IssuedKey
) -> None:
    sent = statement()
    headers = {**XAPI, "x-api-key": key_a.header_value, "Origin": ORIGIN_A}
    async with http.post(f"{cors_api}/statements", json=sent, headers=headers) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN_A
    async with http.get(
        f"{cors_api}/statements", params={"statementId": sent["id"]}, headers=headers
    ) as response:
        assert response.status == 200
        exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {
        "X-Experience-API-Version",
        "X-Experience-API-Consistent-Through",
        "Last-Modified",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "Retry-After",
        "X-Request-Id",
    }
    assert response.headers["Vary"] == "Origin"


@pytest.mark.parametrize("origin", [EVERYONE, ORIGIN_A])
async def test_default_origins_apply_to_every_tenant(
    http: aiohttp.ClientSession, cors_api: str, key_a: IssuedKey, origin: str
) -> None:
    headers = {**XAPI, "x-api-key": key_a.header_value, "Origin": origin}
    async with http.post(f"{cors_api}/statements", json=statement(), headers=headers) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == origin


async def test_an_origin_of_another_tenant_cannot_act_for_this_key(
    http: aiohttp.ClientSession, cors_api: str, key_a: IssuedKey
) -> None:
    """B's origin passes the preflight (B allows it), but the request with A's key is refused
    before anything is stored."""
    assert (await preflight(http, f"{cors_api}/statements", ORIGIN_B)).status == 204
    sent = statement()
    headers = {**XAPI, "x-api-key": key_a.header_value, "Origin": ORIGIN_B}
    async with http.post(f"{cors_api}/statements", json=sent, headers=headers) as response:
        assert response.status == 403
        error = (await response.json())["error"]
    assert error["code"] == "origin_not_allowed"
    no_origin = {**XAPI, "x-api-key": key_a.header_value}
    async with http.get(
        f"{cors_api}/statements", params={"statementId": sent["id"]}, headers=no_origin
    ) as response:
        assert response.status == 404


async def test_public_endpoints_answer_origins_that_some_tenant_allows(
    http: aiohttp.ClientSession, cors_api: str
) -> None:
    async with http.get(f"{cors_api}/about", headers={"Origin": ORIGIN_B}) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN_B
    async with http.get(f"{cors_api}/about", headers={"Origin": STRANGER}) as response:
        assert response.status == 200
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_401_is_readable_by_an_allowed_page(
    http: aiohttp.ClientSession, cors_api: str
) -> None:
    headers = {**XAPI, "Origin": ORIGIN_A}
    async with http.get(f"{cors_api}/statements", headers=headers) as response:
        assert response.status == 401
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN_A
        assert "X-Request-Id" in response.headers["Access-Control-Expose-Headers"]


async def test_requests_without_origin_get_no_cors_headers(
    http: aiohttp.ClientSession, cors_api: str, key_a: IssuedKey
) -> None:
    headers = {**XAPI, "x-api-key": key_a.header_value}
    async with http.post(f"{cors_api}/statements", json=statement(), headers=headers) as response:
        assert response.status == 200
        assert "Access-Control-Allow-Origin" not in response.headers
