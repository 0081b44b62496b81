"""POST a statement over HTTP, read it back over HTTP, and every refusal in between."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import aiohttp
import orjson
import pytest

from learning_record.domain.access import IssuedKey, Scope
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.unit.factories import REMOVE, make_statement

XAPI = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}


def statement(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:grace@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://example.org/activities/intro"},
    }
    return base | overrides


def key_headers(key: IssuedKey) -> dict[str, str]:
    return {**XAPI, "x-api-key": key.header_value}


async def test_posted_statement_is_read_back(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    sent = statement()
    async with http.post(
        f"{base_url}/statements", json=sent, headers=key_headers(tenant_key)
    ) as response:
        assert response.status == 200
        assert await response.json() == [sent["id"]]
    async with http.get(
        f"{base_url}/statements",
        params={"statementId": sent["id"]},
        headers=key_headers(tenant_key),
    ) as response:
        assert response.status == 200
        stored = await response.json()
    assert {k: stored[k] for k in ("id", "actor", "verb", "object")} == sent
    assert stored["stored"].endswith("Z")
    assert stored["authority"] == {
        "objectType": "Agent",
        "account": {"homePage": "urn:learningrecord:api-key", "name": tenant_key.record.key_id},
    }


async def test_batch_gets_generated_ids_in_order(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    batch = [statement(), {k: v for k, v in statement().items() if k != "id"}]
    async with http.post(
        f"{base_url}/statements", json=batch, headers=key_headers(tenant_key)
    ) as response:
        ids = await response.json()
    assert response.status == 200
    assert ids[0] == batch[0]["id"]
    assert str(uuid.UUID(ids[1])) == ids[1]


async def test_http_basic_with_key_id_and_secret_is_accepted(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    token = base64.b64encode(f"{tenant_key.record.key_id}:{tenant_key.secret}".encode()).decode()
    async with http.post(
        f"{base_url}/statements",
        json=statement(),
        headers={**XAPI, "Authorization": f"Basic {token}"},
    ) as response:
        assert response.status == 200


async def test_missing_credentials_are_401_with_a_basic_challenge(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    async with http.post(f"{base_url}/statements", json=statement(), headers=XAPI) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
        assert (await response.json())["error"]["code"] == "unauthorized"


async def test_wrong_secret_is_401(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    wrong = {**XAPI, "x-api-key": f"{tenant_key.record.key_id}.not-the-secret"}
    async with http.post(f"{base_url}/statements", json=statement(), headers=wrong) as response:
        assert response.status == 401


async def test_key_without_the_scope_is_403(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    reader = await issue_key(settings, scopes=(Scope.STATEMENTS_READ,))
    async with http.post(
        f"{base_url}/statements", json=statement(), headers=key_headers(reader)
    ) as response:
        assert response.status == 403
        assert "statements/write" in (await response.json())["error"]["message"]


async def test_revoked_key_is_refused_at_once(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    from learning_record.cli import keys_admin

    key = await issue_key(settings)
    await keys_admin.revoke_key(settings, key.record.key_id)
    async with http.post(
        f"{base_url}/statements", json=statement(), headers=key_headers(key)
    ) as response:
        assert response.status == 401


async def test_invalid_statement_is_400_naming_the_property(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    bad = statement(actor={"objectType": "Agent", "mbox": "grace@example.org"})
    async with http.post(f"{base_url}/statements", json=bad, headers=key_headers(tenant_key)) as r:
        assert r.status == 400
        error = (await r.json())["error"]
    assert error["code"] == "invalid_statement"
    assert error["details"]["path"] == "actor.mbox"


async def test_one_invalid_statement_refuses_the_whole_batch(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    good = statement()
    bad = statement(verb={"id": "not an iri"})
    async with http.post(
        f"{base_url}/statements", json=[good, bad], headers=key_headers(tenant_key)
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["details"]["path"].startswith("[1].verb")
    async with http.get(
        f"{base_url}/statements",
        params={"statementId": good["id"]},
        headers=key_headers(tenant_key),
    ) as response:
        assert response.status == 404


async def test_malformed_json_is_400(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    async with http.post(
        f"{base_url}/statements", data=b"{not json", headers=key_headers(tenant_key)
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert body["error"]["code"] == "bad_request"
    assert "Traceback" not in orjson.dumps(body).decode()


async def test_unknown_statement_is_404(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    async with http.get(
        f"{base_url}/statements",
        params={"statementId": str(uuid.uuid4())},
        headers=key_headers(tenant_key),
    ) as response:
        assert response.status == 404
        assert response.headers["X-Request-Id"]


async def test_a_tenant_cannot_read_another_tenants_statement(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey, settings: Settings
) -> None:
    sent = statement()
    async with http.post(f"{base_url}/statements", json=sent, headers=key_headers(tenant_key)):
        pass
    other = await issue_key(settings)
    async with http.get(
        f"{base_url}/statements", params={"statementId": sent["id"]}, headers=key_headers(other)
    ) as response:
        assert response.status == 404


async def test_health_needs_no_key(http: aiohttp.ClientSession, base_url: str) -> None:
    async with http.get(f"{base_url}/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("extension", "code", "reason"),
    [
        (b'{"a":' * 260 + b"1" + b"}" * 260, "invalid_statement", "nests deeper than 128 levels"),
        (b"123456789012345678901234567890", "bad_request", "beyond 64 bits"),
    ],
    ids=["nested_260_deep", "integer_beyond_64_bits"],
)
async def test_json_a_later_step_could_not_keep_is_a_400_not_a_500(
    http: aiohttp.ClientSession,
    base_url: str,
    tenant_key: IssuedKey,
    extension: bytes,
    code: str,
    reason: str,
) -> None:
    statement = orjson.dumps(make_statement(id=REMOVE, result={"extensions": {}}))
    body = statement.replace(
        b'"extensions":{}', b'"extensions":{"http://example.org/x":' + extension + b"}"
    )
    async with http.post(
        f"{base_url}/statements", data=body, headers=key_headers(tenant_key)
    ) as response:
        assert response.status == 400
        error = (await response.json())["error"]
    assert error["code"] == code
    assert reason in error["message"]
