"""The contract, served by the real `lr api`: the OpenAPI document of the routes it serves, and a
reference page whose every asset comes from the API itself."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import aiohttp
import pytest

from learning_record.api.app import BASE_PATH, create_app
from learning_record.api.openapi import openapi_document
from learning_record.platform.settings import Settings


async def test_openapi_json_is_the_document_of_the_routes_served(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    async with http.get(f"{base_url}/openapi.json") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        served = await response.json()

    expected = openapi_document(create_app(settings), BASE_PATH, served["info"]["version"])
    assert served == expected
    assert served["openapi"] == "3.1.0"
    statements = served["paths"][f"{BASE_PATH}/statements"]
    assert set(statements) == {"get", "post", "put"}
    assert statements["get"]["x-scopes"] == ["statements/read", "statements/read/mine"]
    assert f"{BASE_PATH}/openapi.json" not in served["paths"]


async def test_docs_page_and_its_assets_are_served_locally_without_a_key(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    async with http.get(f"{base_url}/docs") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        page = await response.text()
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page)

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(assets) == ["docs/docs.css", "docs/docs.js", "openapi.json"]
    for asset in assets:
        async with http.get(f"{base_url}/{asset}") as response:
            assert response.status == 200, asset
            text = await response.text()
        if asset.startswith("docs/"):
            # Nothing is loaded from another host: the page works on a closed network.
            assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), asset

    async with http.get(f"{base_url}/docs/../../etc/passwd") as response:
        assert response.status == 404
    async with http.get(f"{base_url}/docs/index.html") as response:
        assert response.status == 404  # only the named assets


async def test_docs_page_renders_every_operation_in_a_headless_browser(
    base_url: str, tmp_path: Path
) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on this machine (the dashboard test setup installs it)")
    process = await asyncio.create_subprocess_exec(
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        f"{base_url}/docs",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    dom, _ = await asyncio.wait_for(process.communicate(), 60)
    html = dom.decode()

    assert 'data-rendered="true"' in html
    rendered = re.findall(r'<details class="operation" id="([a-z]+)-([^"]+)"', html)
    assert ("get", f"{BASE_PATH}/statements") in rendered
    assert ("put", f"{BASE_PATH}/statements") in rendered
    assert "StatementResult" in html


async def test_pages_may_not_be_framed_and_no_answer_is_sniffed(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    for page in ("docs", "ops/dashboard"):
        async with http.get(f"{base_url}/{page}") as response:
            assert response.status == 200
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with http.get(f"{base_url}/health") as response:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
