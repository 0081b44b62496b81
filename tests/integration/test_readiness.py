"""A worker that stops consuming while statements keep arriving makes the API not ready, with
the reason, and its lag grow; once it resumes, the API is ready again.

The worker and API here are our own, on topics and a consumer group of their own, so that
stopping the worker disturbs no other test. The API also serves /metrics on a port of its own
and logs in JSON.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.cli.stack.processes import ManagedProcess
from learning_record.domain.access import IssuedKey, Scope
from learning_record.platform.settings import Settings
from tests.integration.conftest import isolated_settings, issue_key
from tests.integration.kafka_io import produce
from tests.integration.metrics_text import scrape, total
from tests.ports import free_ports
from tests.waiting import until

STALL_AFTER_S = 3.0
HEARTBEAT_TIMEOUT_S = 4.0


@pytest.fixture(scope="module")
def ops_settings(services: LocalStack) -> Settings:
    base = isolated_settings(services.settings, "ops")
    api_port, metrics_port, worker_metrics_port = free_ports(3)
    return base.model_copy(
        update={
            "api": base.api.model_copy(update={"port": api_port, "metrics_port": metrics_port}),
            "worker": base.worker.model_copy(update={"metrics_port": worker_metrics_port}),
            "ops": base.ops.model_copy(
                update={
                    "heartbeat_interval_s": 1.0,
                    "heartbeat_timeout_s": HEARTBEAT_TIMEOUT_S,
                    "stall_after_s": STALL_AFTER_S,
                }
            ),
            "log_format": "json",
        }
    )


@pytest.fixture(scope="module")
def ops_stack(ops_settings: Settings) -> Iterator[tuple[LocalStack, ManagedProcess]]:
    with LocalStack(ops_settings) as processes:
        worker = processes.start_worker("worker-ops")
        processes.start_api(name="api-ops")
        yield processes, worker


def base_url(settings: Settings) -> str:
    return f"http://{settings.api.host}:{settings.api.port}/learningrecord/v1"


async def readiness(http: aiohttp.ClientSession, settings: Settings) -> tuple[int, Any]:
    async with http.get(f"{base_url(settings)}/ready") as response:
        return response.status, await response.json()


def attempt(n: int) -> bytes:
    return orjson.dumps(
        {
            "actor": {"mbox": f"mailto:stall-{n}@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
            "object": {"id": "https://example.org/activities/stall"},
        }
    )


async def test_stopped_worker_turns_readiness_503_and_lag_grows_until_it_resumes(
    http: aiohttp.ClientSession,
    ops_settings: Settings,
    ops_stack: tuple[LocalStack, ManagedProcess],
) -> None:
    _, worker = ops_stack
    settings = ops_settings
    metrics_url = f"http://{settings.api.metrics_host}:{settings.api.metrics_port}/metrics"
    statements_lag = {"group": settings.worker.app_id, "topic": settings.kafka.statements_topic}

    def lag_messages(text: str) -> float:
        return total(text, "lr_consumer_lag_messages", **statements_lag)

    _status, body = await until(
        lambda: readiness(http, settings), lambda r: r[0] == 200, within_s=90, what="ready"
    )
    assert body == {
        "status": "ready",
        "reasons": [],
        "checks": {
            "kafka": {"ok": True, "detail": "the broker answered"},
            "redis": {"ok": True, "detail": "Redis answered"},
            "worker_heartbeat": {"ok": True, "detail": "1 worker(s) beating"},
            "worker_progress": {"ok": True, "detail": "no partition stalled"},
        },
    }
    assert lag_messages(await scrape(http, metrics_url)) == 0

    worker.signal(signal.SIGSTOP)
    try:
        sent = 0

        async def send_and_check() -> tuple[int, Any]:
            nonlocal sent
            await produce(settings, [attempt(sent)], "stall")  # statements keep arriving
            sent += 1
            return await readiness(http, settings)

        _status, body = await until(
            send_and_check,
            lambda r: r[0] == 503 and len(r[1]["reasons"]) == 2,
            within_s=60,
            what="not ready for both reasons",
        )
        assert body["status"] == "not_ready"
        assert body["checks"]["kafka"]["ok"]
        assert body["checks"]["redis"]["ok"]
        heartbeat, progress = body["reasons"]
        assert heartbeat.startswith(f"no worker heartbeat in the last {HEARTBEAT_TIMEOUT_S:g}s")
        assert progress.startswith("worker stalled: ")
        assert settings.kafka.statements_topic in progress

        # Nothing was behind before the stop: once the reading is fresh, the lag is what was sent.
        await until(
            lambda: scrape(http, metrics_url),
            lambda text: lag_messages(text) == sent,
            what="lag equal to the records sent during the stop",
        )
        await produce(settings, [attempt(sent + i) for i in range(3)], "stall")
        grown = await until(
            lambda: scrape(http, metrics_url),
            lambda text: lag_messages(text) >= sent + 3,
            what="lag grows by the 3 new records",
        )
        assert lag_messages(grown) == sent + 3
        assert 'lr_ready{component="api"} 0.0' in grown
    finally:
        worker.signal(signal.SIGCONT)

    _status, body = await until(
        lambda: readiness(http, settings), lambda r: r[0] == 200, within_s=90, what="ready again"
    )
    assert body["reasons"] == []
    caught_up = await until(
        lambda: scrape(http, metrics_url), lambda text: lag_messages(text) == 0, within_s=60
    )
    assert 'lr_ready{component="api"} 1.0' in caught_up


async def test_metrics_on_their_own_port_leave_the_api_port(
    http: aiohttp.ClientSession,
    ops_settings: Settings,
    ops_stack: tuple[LocalStack, ManagedProcess],
) -> None:
    settings = ops_settings
    async with http.get(f"http://{settings.api.host}:{settings.api.port}/metrics") as response:
        assert response.status == 404
    text = await scrape(
        http, f"http://{settings.api.metrics_host}:{settings.api.metrics_port}/metrics"
    )
    assert "lr_http_requests_total" in text


async def test_json_logs_carry_request_id_and_tenant_but_no_secret(
    http: aiohttp.ClientSession,
    ops_settings: Settings,
    ops_stack: tuple[LocalStack, ManagedProcess],
) -> None:
    processes, _ = ops_stack
    key: IssuedKey = await issue_key(ops_settings, scopes=(Scope.STATEMENTS_READ,))
    request_id = f"req-{uuid.uuid4().hex}"
    statement_id = str(uuid.uuid4())

    async def logged() -> list[dict[str, Any]]:
        async with http.get(
            f"{base_url(ops_settings)}/statements",
            params={"statementId": statement_id},
            headers={
                "x-api-key": key.header_value,
                "X-Experience-API-Version": "1.0.3",
                "X-Request-Id": request_id,
            },
        ) as response:
            assert response.status == 404
        # Other libraries may log during the request too (with its id): take the request's own.
        return [
            line
            for line in _json_lines(processes.log_dir / "api-ops.log")
            if line.get("request_id") == request_id and line.get("event") == "http_request"
        ]

    lines = await until(logged, bool, what="the request's log line")
    line = lines[0]
    assert line["tenant"] == key.record.tenant
    assert line["component"] == "api"
    assert line["method"] == "GET"
    assert line["route"] == "/learningrecord/v1/statements"
    assert line["status"] == 404
    log_text = (processes.log_dir / "api-ops.log").read_text()
    assert key.secret not in log_text
    assert statement_id not in log_text  # the path is logged as its route, never with the query


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text().splitlines():
        if raw.startswith("{"):
            lines.append(orjson.loads(raw))
    return lines
