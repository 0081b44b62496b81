"""The ops dashboard in a real browser (Debian's Chromium, driven by playwright-core from npm,
both installed by `make deps`), against the live stack."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from learning_record.domain.access import Scope
from learning_record.platform.settings import Settings
from tests.integration.conftest import REPO, issue_key

CHROMIUM = Path("/usr/bin/chromium")
NODE_MODULES = REPO / ".cache/node/node_modules"
SCREENSHOT = REPO / "docs/img/dashboard.png"
STATEMENTS = 300

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists()
    or not (NODE_MODULES / "playwright-core").exists()
    or shutil.which("node") is None,
    reason="needs chromium and playwright-core: run `make deps`",
)


async def run_browser(config: dict[str, Any]) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        "node",
        str(Path(__file__).with_name("dashboard_browser.cjs")),
        orjson.dumps(config).decode(),
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, stderr.decode()
    seen: dict[str, Any] = orjson.loads(stdout.decode().strip().splitlines()[-1])
    return seen


async def test_dashboard_asks_for_a_key_draws_its_charts_and_follows_the_ingest(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    ops = await issue_key(settings, scopes=(Scope.OPS,))
    writer = await issue_key(settings, scopes=(Scope.STATEMENTS_WRITE,))
    async with http.get(f"{base_url}/ops/dashboard") as response:  # the page itself is public
        assert response.status == 200
        assert response.content_type == "text/html"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)

    seen = await run_browser(
        {
            "chromium": str(CHROMIUM),
            "dashboardUrl": f"{base_url}/ops/dashboard",
            "statementsUrl": f"{base_url}/statements",
            "opsKey": ops.header_value,
            "wrongKey": writer.header_value,  # valid, but without the ops scope
            "writeKey": writer.header_value,
            "statements": STATEMENTS,
            "batch": 10,
            "pauseMs": 250,
            "screenshot": str(SCREENSHOT),
        }
    )

    assert seen["asksForKey"] is True
    assert seen["wrongKeyMessage"] == "this key lacks the scope 'ops'"
    assert seen["keyInSession"] is True
    assert seen["finalTotal"] >= seen["initialTotal"] + STATEMENTS
    assert seen["ingestRate"] > 0
    charts = seen["charts"]
    assert charts["ingest-chart"]["series"] == 1
    assert charts["processing-chart"]["series"] == 1
    assert charts["freshness-chart"]["series"] == 2  # p50 and p99
    # One bar per partition of each topic the group reads (statements and the event topics).
    assert charts["lag-chart"]["bars"] >= 2 * settings.kafka.partitions
    assert charts["lag-chart"]["bars"] % settings.kafka.partitions == 0
    assert seen["status"] == "ready"
    assert seen["workers"] == 1
    assert SCREENSHOT.stat().st_size > 10_000
