"""TLS on a real `lr api` process: a self-signed certificate made here, HTTPS on the API port,
and the plain-HTTP listener answering 308 to the same URL over HTTPS."""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from cryptography import x509

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.access import IssuedKey
from tests.certificates import HOST, self_signed
from tests.integration.test_statement_resource import statement
from tests.ports import free_ports


@dataclass(frozen=True)
class TlsApi:
    https_url: str  # the base URL over HTTPS
    http_origin: str  # the plain-HTTP listener that redirects
    https_port: int
    trust: ssl.SSLContext  # a client context that trusts the test certificate


@pytest.fixture(scope="module")
def tls_api(shared_app: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsApi]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    https_port, http_port = free_ports(2)
    base = shared_app.settings
    settings = base.model_copy(
        update={
            "api": base.api.model_copy(
                update={
                    "port": https_port,
                    "tls_cert": cert,
                    "tls_key": key,
                    "http_redirect_port": http_port,
                }
            )
        }
    )
    with LocalStack(settings) as processes:
        processes.start_api(name="api-tls")
        yield TlsApi(
            https_url=f"https://{HOST}:{https_port}/learningrecord/v1",
            http_origin=f"http://{HOST}:{http_port}",
            https_port=https_port,
            trust=ssl.create_default_context(cafile=str(cert)),
        )


async def test_the_api_answers_over_https_with_the_configured_certificate(
    http: aiohttp.ClientSession, tls_api: TlsApi, tenant_key: IssuedKey
) -> None:
    headers = {"x-api-key": tenant_key.header_value, "X-Experience-API-Version": "1.0.3"}
    sent = statement()
    connector = aiohttp.TCPConnector(ssl=tls_api.trust)
    async with aiohttp.ClientSession(connector=connector) as https:
        async with https.post(
            f"{tls_api.https_url}/statements", json=sent, headers=headers
        ) as response:
            assert response.status == 200
            assert await response.json() == [sent["id"]]
        async with https.get(
            f"{tls_api.https_url}/statements", params={"statementId": sent["id"]}, headers=headers
        ) as response:
            assert response.status == 200
            assert (await response.json())["id"] == sent["id"]


async def test_a_client_that_does_not_trust_the_certificate_is_refused(
    http: aiohttp.ClientSession, tls_api: TlsApi
) -> None:
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        async with http.get(f"{tls_api.https_url}/health"):
            pass


async def test_plain_http_on_the_tls_port_gets_no_answer(
    http: aiohttp.ClientSession, tls_api: TlsApi
) -> None:
    with pytest.raises(aiohttp.ClientError):
        async with http.get(f"http://{HOST}:{tls_api.https_port}/learningrecord/v1/health"):
            pass


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
async def test_plain_http_is_redirected_to_the_same_url_over_https_with_308(
    http: aiohttp.ClientSession, tls_api: TlsApi, method: str
) -> None:
    target = f"/learningrecord/v1/statements?statementId={uuid.uuid4()}&format=ids"
    async with http.request(
        method, f"{tls_api.http_origin}{target}", data=b"{}", allow_redirects=False
    ) as response:
        assert response.status == 308
        assert response.headers["Location"] == f"https://{HOST}:{tls_api.https_port}{target}"


async def test_the_redirect_ignores_the_host_a_client_names(
    http: aiohttp.ClientSession, tls_api: TlsApi
) -> None:
    headers = {"Host": "evil.example"}
    async with http.get(
        f"{tls_api.http_origin}/learningrecord/v1/health", headers=headers, allow_redirects=False
    ) as response:
        assert response.status == 308
        assert response.headers["Location"] == (
            f"https://{HOST}:{tls_api.https_port}/learningrecord/v1/health"
        )


async def test_https_answers_carry_hsts(tls_api: TlsApi) -> None:
    connector = aiohttp.TCPConnector(ssl=tls_api.trust)
    async with (
        aiohttp.ClientSession(connector=connector) as client,
        client.get(f"{tls_api.https_url}/health") as response,
    ):
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_a_client_following_the_redirect_ends_on_https(tls_api: TlsApi) -> None:
    connector = aiohttp.TCPConnector(ssl=tls_api.trust)
    async with (
        aiohttp.ClientSession(connector=connector) as client,
        client.get(f"{tls_api.http_origin}/learningrecord/v1/health") as response,
    ):
        assert response.status == 200
        assert str(response.url) == f"{tls_api.https_url}/health"
        assert [r.status for r in response.history] == [308]


async def test_tls_is_version_1_2_or_later_and_presents_the_configured_certificate(
    tls_api: TlsApi,
) -> None:
    _, writer = await asyncio.open_connection(HOST, tls_api.https_port, ssl=tls_api.trust)
    try:
        tls_object = writer.get_extra_info("ssl_object")
        assert tls_object.version() in ("TLSv1.2", "TLSv1.3")
        presented = x509.load_der_x509_certificate(tls_object.getpeercert(binary_form=True))
        assert presented.subject.rfc4514_string() == "CN=learningrecord test"
    finally:
        writer.close()
        await writer.wait_closed()
