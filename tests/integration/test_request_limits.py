"""Limits answered by our code in the JSON error shape, over a real socket to `lr api`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import orjson
import pytest

from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings


async def raw_get(settings: Settings, target: str) -> tuple[int, dict[str, str], bytes]:
    """Send one GET with exactly this request target; aiohttp's client would rewrite it."""
    reader, writer = await asyncio.open_connection(settings.api.host, settings.api.port)
    writer.write(
        f"GET {target} HTTP/1.1\r\nHost: {settings.api.host}\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


def target_of_length(length: int) -> str:
    prefix = "/learningrecord/v1/health?pad="
    return prefix + "x" * (length - len(prefix))


@pytest.mark.parametrize(("length", "status"), [(8192, 200), (8193, 414), (60_000, 414)])
async def test_request_target_limit_is_8192_bytes(
    settings: Settings, length: int, status: int
) -> None:
    target = target_of_length(length)
    assert len(target.encode()) == length
    got, headers, body = await raw_get(settings, target)
    assert got == status
    if status == 414:
        assert headers["Content-Type"].startswith("application/json")
        error = orjson.loads(body)["error"]
        assert error["code"] == "uri_too_long"
        assert error["details"] == {"limit": 8192, "length": length}


async def test_unknown_route_is_a_json_404(http: aiohttp.ClientSession, base_url: str) -> None:
    async with http.get(f"{base_url}/no-such-thing") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"


async def test_wrong_method_is_405_with_allow(http: aiohttp.ClientSession, base_url: str) -> None:
    async with http.delete(f"{base_url}/health") as response:
        assert response.status == 405
        assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD"}
        assert (await response.json())["error"]["code"] == "method_not_allowed"


async def test_body_over_the_limit_is_413(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, tenant_key: IssuedKey
) -> None:
    headers = {
        "x-api-key": tenant_key.header_value,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    body = b"[" + b" " * settings.api.max_body_bytes + b"]"
    async with http.post(f"{base_url}/statements", data=body, headers=headers) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "request_entity_too_large"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_product_endpoint_body_of_another_media_type_is_415(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey, content_type: str
) -> None:
    headers = {"x-api-key": tenant_key.header_value, "Content-Type": content_type}
    async with http.post(
        f"{base_url}/indicators/query", data=b'{"learners": []}', headers=headers
    ) as response:
        assert response.status == 415
        assert response.headers["Accept-Post"] == "application/json"
        error = (await response.json())["error"]
    assert error["code"] == "unsupported_media_type"
    assert error["details"] == {"supported": ["application/json"]}


async def test_product_endpoint_reads_json_and_xapi_resources_keep_their_400(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    headers = {"x-api-key": tenant_key.header_value, "Content-Type": "application/json"}
    async with http.post(
        f"{base_url}/indicators/query", data=b'{"learners": []}', headers=headers
    ) as response:
        assert response.status == 200
        assert (await response.json())["learners"] == []
    xapi = {**headers, "X-Experience-API-Version": "1.0.3", "Content-Type": "text/plain"}
    async with http.post(f"{base_url}/statements", data=b"{}", headers=xapi) as response:
        assert response.status == 400  # xAPI Communication 1.5 / 2.1.2: the spec's answer


async def test_a_batch_over_the_statement_limit_is_413_before_validation(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, tenant_key: IssuedKey
) -> None:
    most = settings.api.max_statements_per_request
    headers = {"x-api-key": tenant_key.header_value, "X-Experience-API-Version": "1.0.3"}
    # Invalid statements: the count is checked before any of them is validated.
    async with http.post(
        f"{base_url}/statements", json=[{}] * (most + 1), headers=headers
    ) as response:
        assert response.status == 413
        error = (await response.json())["error"]
    assert error["code"] == "too_many_statements"
    assert error["details"] == {"limit": most, "count": most + 1}


async def raw_exchange(settings: Settings, head: str, body: bytes) -> bytes:
    """Send a request head and ``body`` over one connection; everything read back until the
    server closed it (a reset after the answer counts as closed)."""
    reader, writer = await asyncio.open_connection(settings.api.host, settings.api.port)
    writer.write(head.encode() + body)
    await asyncio.wait_for(writer.drain(), 60)
    received = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), 60):
            received += chunk
    except ConnectionResetError:
        pass
    writer.close()
    return received


def form_head(settings: Settings, content_length: int, *, more_headers: str = "") -> str:
    return (
        f"POST /learningrecord/v1/statements?method=GET HTTP/1.1\r\nHost: {settings.api.host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nX-Experience-API-Version: 1.0.3\r\n"
        f"Content-Length: {content_length}\r\n{more_headers}\r\n"
    )


@pytest.mark.parametrize(
    "expect",
    ["", "Expect: 100-continue\r\n", "Expect: bogus\r\n"],
    ids=["no expectation", "100-continue", "an unknown expectation"],
)
async def test_a_refused_large_body_is_not_read_and_its_connection_is_closed(
    settings: Settings, expect: str
) -> None:
    """The declared 10 MB are never sent: the server answers 401 and closes at once instead of
    waiting for the rest of a body it would only discard (aiohttp's lingering close). aiohttp
    itself answered an unknown expectation with a 417, then read the whole body."""
    sent = b"pad=" + b"x" * (16 * 1024)
    request = form_head(settings, 10 * 1024 * 1024, more_headers=expect)
    received = await raw_exchange(settings, request, sent)

    received = received.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    assert status_line == "HTTP/1.1 401 Unauthorized"
    assert headers["Connection"] == "close"
    assert orjson.loads(body)["error"]["code"] == "unauthorized"


async def test_a_refused_small_body_is_read_and_its_connection_kept_for_the_next_request(
    settings: Settings,
) -> None:
    form = b"pad=" + b"x" * 1000
    keep_alive = form_head(settings, len(form))
    last = form_head(settings, len(form), more_headers="Connection: close\r\n")
    received = await raw_exchange(settings, keep_alive + form.decode() + last, form)

    assert received.count(b"HTTP/1.1 401 Unauthorized") == 2


@pytest.mark.parametrize("client", ["aiohttp", "curl"])
async def test_a_client_still_sending_a_refused_10_mb_body_gets_the_answer(
    http: aiohttp.ClientSession, base_url: str, tmp_path: Path, client: str
) -> None:
    form = b"pad=" + b"x" * (10 * 1024 * 1024)
    url = f"{base_url}/statements?method=GET"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(5):  # the answer must not lose a race with the reset that follows it
        if client == "aiohttp":
            async with http.post(url, data=form, headers=headers) as response:
                status, answer = response.status, await response.read()
        else:
            (tmp_path / "form").write_bytes(form)
            curl = await asyncio.create_subprocess_exec(
                "curl", "-sS", "--data-binary", f"@{tmp_path / 'form'}", "-w", "\n%{http_code}",
                url, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            output, _ = await asyncio.wait_for(curl.communicate(), 60)
            answer, _, code = output.rpartition(b"\n")
            status = int(code)
        assert status == 401
        assert orjson.loads(answer)["error"]["code"] == "unauthorized"
