"""Lag, metrics and readiness on the shared stack: what an operator and a scraper see."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import orjson
import pytest
from redis.asyncio import Redis

from learning_record.domain.access import IssuedKey, Scope
from learning_record.domain.identity import ifi_of_raw
from learning_record.platform.clock import now_ms
from learning_record.platform.settings import Settings
from learning_record.store import heartbeats, keys
from learning_record.store.heartbeats import ApiHeartbeat
from tests.integration.conftest import issue_key
from tests.integration.kafka_io import produce
from tests.integration.lr_cli import run_lr
from tests.integration.metrics_text import delta, samples, scrape, total, value
from tests.ports import free_ports
from tests.pseudonyms import learner_ids
from tests.waiting import until

XAPI = {"X-Experience-API-Version": "1.0.3"}


def statement(n: int = 0) -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:ops-{n}@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"https://example.org/activities/ops-{n}"},
    }


@pytest.fixture
async def ops_key(settings: Settings) -> IssuedKey:
    return await issue_key(settings, scopes=(Scope.OPS,))


async def caught_up(http: aiohttp.ClientSession, base_url: str, settings: Settings) -> None:
    """Wait until the worker has committed everything: what earlier tests sent is counted."""
    key = await issue_key(settings, scopes=(Scope.OPS,))

    async def lag() -> int:
        async with http.get(f"{base_url}/ops/lag", headers={"x-api-key": key.header_value}) as r:
            body = await r.json()
            return int(body["totals"]["lag_messages"])

    await until(lag, lambda messages: messages == 0, within_s=60, what="worker caught up")


def api_metrics_url(settings: Settings) -> str:
    return f"http://{settings.api.host}:{settings.api.port}/metrics"


def worker_metrics_url(settings: Settings) -> str:
    return f"http://{settings.worker.metrics_host}:{settings.worker.metrics_port}/metrics"


async def test_lag_endpoint_lists_every_partition_of_the_group_with_its_owner(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, ops_key: IssuedKey
) -> None:
    headers = {"x-api-key": ops_key.header_value}

    async def reading() -> dict[str, Any]:
        async with http.get(f"{base_url}/ops/lag", headers=headers) as response:
            assert response.status == 200
            body: dict[str, Any] = await response.json()
            return body

    def owned(body: dict[str, Any]) -> bool:
        (group,) = body["groups"]
        return all(p["owner"] is not None for p in group["partitions"])

    body = await until(reading, owned, within_s=60, what="every partition owned")
    (group,) = body["groups"]
    assert group["group"] == settings.worker.app_id
    assert group["state"] == "Stable"
    by_topic: dict[str, list[int]] = {}
    for p in group["partitions"]:
        by_topic.setdefault(p["topic"], []).append(p["partition"])
        assert p["lag_messages"] == p["log_end"] - p["committed"]
        assert p["owner"]["client_id"].startswith("faust")
    every = list(range(settings.kafka.partitions))
    assert by_topic[settings.kafka.statements_topic] == every
    assert by_topic[settings.kafka.learner_ops_topic] == every
    assert not any(topic.endswith("-changelog") for topic in by_topic)
    totals = group["totals"]
    assert totals["lag_messages"] == sum(p["lag_messages"] for p in group["partitions"])
    assert body["totals"] == totals


async def test_lag_endpoint_needs_a_key_with_the_ops_scope(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    async with http.get(f"{base_url}/ops/lag") as response:
        assert response.status == 401
    writer = await issue_key(settings, scopes=(Scope.STATEMENTS_WRITE,))
    async with http.get(f"{base_url}/ops/lag", headers={"x-api-key": writer.header_value}) as r:
        assert r.status == 403
    async with http.get(f"{base_url}/ops/summary", headers={"x-api-key": writer.header_value}) as r:
        assert r.status == 403


async def test_scope_all_is_one_tenants_data_and_never_the_deployments_ops(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    everything_of_a_tenant = await issue_key(settings, scopes=(Scope.ALL,))
    headers = {"x-api-key": everything_of_a_tenant.header_value}
    for path in ("/ops/lag", "/ops/summary"):
        async with http.get(f"{base_url}{path}", headers=headers) as response:
            assert response.status == 403, path
            assert (await response.json())["error"]["details"]["needed"] == ["ops"]


async def test_ops_answers_show_figures_and_never_a_tenants_identifiers(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, ops_key: IssuedKey
) -> None:
    """An ops key sees the deployment's figures, never another tenant's identifiers (issue
    #10): with two tenants' statements stored and tallied, no answer made for operators names a
    tenant, a key, a learner, an activity or a statement."""
    identifiers: list[str] = []
    for _ in range(2):
        key = await issue_key(settings)
        tenant = key.record.tenant
        actor = {"mbox": f"mailto:{tenant}-learner@example.org"}
        activity = f"https://example.org/activities/{tenant}-course"
        statement_id = str(uuid.uuid4())
        sent = {**statement(), "id": statement_id, "actor": actor, "object": {"id": activity}}
        headers = {**XAPI, "x-api-key": key.header_value}
        async with http.post(f"{base_url}/statements", json=sent, headers=headers) as response:
            assert response.status == 200
        learner = learner_ids(tenant)(ifi_of_raw(actor))
        identifiers += [tenant, key.record.key_id, actor["mbox"], learner, activity, statement_id]
    await caught_up(http, base_url, settings)  # stored, and tallied into the indicators

    ops_headers = {"x-api-key": ops_key.header_value}
    answers: dict[str, str] = {}
    for path in ("/ops/summary", "/ops/lag", "/ready"):
        async with http.get(f"{base_url}{path}", headers=ops_headers) as response:
            answers[path] = await response.text()
    answers["api /metrics"] = await scrape(http, api_metrics_url(settings))
    answers["worker /metrics"] = await scrape(http, worker_metrics_url(settings))
    answers["lr lag --json"] = await run_lr(settings, "lag", "--json")
    answers["lr lag"] = await run_lr(settings, "lag")

    assert orjson.loads(answers["/ops/summary"])["totals"]["accepted"] >= 2
    leaks = {where: [i for i in identifiers if i in text] for where, text in answers.items()}
    assert {where: found for where, found in leaks.items() if found} == {}


async def test_lr_lag_prints_the_same_partitions_as_json_and_as_a_table(
    settings: Settings,
) -> None:
    body = orjson.loads(await run_lr(settings, "lag", "--json"))
    (group,) = body["groups"]
    assert group["group"] == settings.worker.app_id
    topics = {p["topic"] for p in group["partitions"]}
    assert {settings.kafka.statements_topic, settings.kafka.learner_ops_topic} <= topics
    table = await run_lr(settings, "lag")
    assert f"consumer group {settings.worker.app_id}" in table
    assert "total lag" in table


async def test_probes_and_metrics_need_no_key(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    async with http.get(f"{base_url}/health") as response:
        assert response.status == 200
    ready = await until(
        lambda: _json_status(http, f"{base_url}/ready"), lambda r: r[0] == 200, within_s=60
    )
    assert ready[1]["status"] == "ready"
    assert set(ready[1]["checks"]) == {"kafka", "redis", "worker_heartbeat", "worker_progress"}
    text = await scrape(http, api_metrics_url(settings))
    assert value(text, "lr_ready", component="api") == 1.0
    lag_labels = {
        "group": settings.worker.app_id,
        "topic": settings.kafka.statements_topic,
        "partition": "0",
    }
    assert samples(text)[("lr_consumer_lag_messages", frozenset(lag_labels.items()))] >= 0
    assert samples(text)[("lr_consumer_lag_seconds", frozenset(lag_labels.items()))] >= 0


async def _json_status(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with http.get(url) as response:
        return response.status, await response.json()


async def test_http_statements_are_counted_once_by_the_api_and_not_by_the_worker(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, tenant_key: IssuedKey
) -> None:
    headers = {**XAPI, "x-api-key": tenant_key.header_value}
    await caught_up(http, base_url, settings)
    api_before = await scrape(http, api_metrics_url(settings))
    worker_before = await scrape(http, worker_metrics_url(settings))

    async with http.post(
        f"{base_url}/statements", json=[statement(i) for i in range(3)], headers=headers
    ) as response:
        assert response.status == 200
    async with http.post(f"{base_url}/statements", json={"actor": {}}, headers=headers) as r:
        assert r.status == 400

    api_after = await scrape(http, api_metrics_url(settings))
    route = "/learningrecord/v1/statements"
    assert (
        delta(api_after, api_before, "lr_statements_accepted_total", component="api", path="http")
        == 3
    )
    assert (
        delta(api_after, api_before, "lr_statements_ingested_total", component="api", path="http")
        == 2
    )
    assert (
        delta(api_after, api_before, "lr_statements_rejected_total", component="api", path="http")
        == 1
    )
    labels_200 = {"component": "api", "method": "POST", "route": route, "status": "200"}
    assert delta(api_after, api_before, "lr_http_requests_total", **labels_200) == 1
    latency = {"component": "api", "method": "POST", "route": route}
    assert delta(api_after, api_before, "lr_http_request_duration_seconds_count", **latency) == 2

    # The worker stores them too, but they entered over HTTP: it counts them as processed only.
    def processed(text: str) -> float:
        return value(text, "lr_worker_statements_processed_total", component="worker")

    worker_after = await until(
        lambda: scrape(http, worker_metrics_url(settings)),
        lambda text: processed(text) - processed(worker_before) >= 3,
        what="the worker processed the 3 statements",
    )
    assert processed(worker_after) - processed(worker_before) == 3
    kafka_accepted = ("lr_statements_accepted_total", {"component": "worker", "path": "kafka"})
    assert delta(worker_after, worker_before, kafka_accepted[0], **kafka_accepted[1]) == 0
    assert 'component="api"' not in worker_after
    assert 'component="worker"' not in api_after


async def test_direct_records_dead_letters_and_freshness_are_measured_by_the_worker(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    tenant = f"t{uuid.uuid4().hex[:10]}"
    await caught_up(http, base_url, settings)
    before = await scrape(http, worker_metrics_url(settings))
    records = [orjson.dumps(statement(i)) for i in range(4)] + [b"not json"]
    await produce(settings, records, tenant)
    fresh = {"component": "worker", "topic": "statements"}

    def measured(text: str) -> float:
        # Counted once a batch is done, after what is counted while it runs.
        return delta(text, before, "lr_freshness_seconds_count", **fresh)

    after = await until(
        lambda: scrape(http, worker_metrics_url(settings)),
        lambda text: measured(text) >= 5,
        what="the 5 records measured",
    )
    assert measured(after) == 5
    kafka = {"component": "worker", "path": "kafka"}
    assert delta(after, before, "lr_statements_ingested_total", **kafka) == 5
    assert delta(after, before, "lr_statements_accepted_total", **kafka) == 4
    assert delta(after, before, "lr_statements_rejected_total", **kafka) == 1
    assert delta(after, before, "lr_statements_dead_lettered_total", component="worker") == 1
    assert delta(after, before, "lr_worker_batches_total", **fresh) >= 1
    assert delta(after, before, "lr_worker_events_processed_total", **fresh) == 5
    assert total(after, "lr_worker_batch_seconds_count", component="worker") > 0
    # Every record's age was observed once, in some bucket (how fresh is for bench/, not here).
    assert delta(after, before, "lr_freshness_seconds_bucket", **fresh, le="+Inf") == 5


async def test_rate_limit_rejections_are_counted_by_plan(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> None:
    key = await issue_key(settings, scopes=(Scope.STATEMENTS_READ,), plan="basic")
    limit = settings.plans["basic"].requests_per_s
    assert limit is not None
    before = await scrape(http, api_metrics_url(settings))
    statuses: list[int] = []
    # Until one is refused: a slow machine may spread the first limit + 1 over two windows.
    while 429 not in statuses and len(statuses) < 50 * limit:
        async with http.get(
            f"{base_url}/statements",
            params={"statementId": str(uuid.uuid4())},
            headers={**XAPI, "x-api-key": key.header_value},
        ) as response:
            statuses.append(response.status)
    after = await scrape(http, api_metrics_url(settings))
    refused = statuses.count(429)
    assert refused >= 1
    labels = {"component": "api", "plan": "basic", "limit": "requests"}
    assert (
        value(after, "lr_rate_limited_total", **labels)
        - value(before, "lr_rate_limited_total", **labels)
        == refused
    )


async def ops_summary(http: aiohttp.ClientSession, base_url: str, key: IssuedKey) -> Any:
    headers = {"x-api-key": key.header_value}
    async with http.get(f"{base_url}/ops/summary", headers=headers) as response:
        assert response.status == 200
        return await response.json()


def answering(summary: dict[str, Any]) -> list[str]:
    return sorted(p["component"] for p in summary["processes"] if p["answered"])


async def test_summary_adds_up_the_counters_of_every_api_process_and_worker(
    http: aiohttp.ClientSession,
    base_url: str,
    second_api: str,
    settings: Settings,
    tenant_key: IssuedKey,
    ops_key: IssuedKey,
) -> None:
    await caught_up(http, base_url, settings)
    before = await until(
        lambda: ops_summary(http, base_url, ops_key),
        lambda s: answering(s) == ["api", "api", "worker"],
        what="both API processes and the worker announced and answering",
    )
    headers = {**XAPI, "x-api-key": tenant_key.header_value}
    for base, count in ((base_url, 3), (second_api, 2)):
        async with http.post(
            f"{base}/statements", json=[statement(i) for i in range(count)], headers=headers
        ) as response:
            assert response.status == 200
    async with http.post(f"{second_api}/statements", json={"actor": {}}, headers=headers) as r:
        assert r.status == 400

    def grown(summary: dict[str, Any], name: str) -> int:
        return int(summary["totals"][name] - before["totals"][name])

    # A process that misses the scrape deadline on a loaded machine is reported, not summed:
    # wait for a summary in which every process answered.
    after = await until(
        lambda: ops_summary(http, base_url, ops_key),
        lambda s: grown(s, "processed") >= 5 and answering(s) == ["api", "api", "worker"],
        what="the worker processed the 5 statements, in a summary every process answered",
    )
    assert grown(after, "accepted_http") == 5
    assert grown(after, "accepted") == 5
    assert grown(after, "rejected_http") == 1
    assert grown(after, "processed") == 5
    assert grown(after, "accepted_kafka") == 0
    assert set(after["rates"]) == {
        "accepted_per_s",
        "processed_per_s",
        "http_5xx_per_s",
        "http_429_per_s",
    }
    assert all(rate is not None and rate >= 0 for rate in after["rates"].values())


async def test_a_process_that_does_not_answer_is_reported_and_the_summary_still_comes(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, redis: Redis, ops_key: IssuedKey
) -> None:
    (closed_port,) = free_ports(1)
    silent = ApiHeartbeat("gone-host:1", now_ms(), 0, f"http://127.0.0.1:{closed_port}/metrics")
    await heartbeats.beat_api(redis, settings.worker.app_id, silent)
    try:
        summary = await until(
            lambda: ops_summary(http, base_url, ops_key),
            lambda s: "worker" in answering(s),
            what="a summary the worker answered, beside the silent process",
        )
    finally:
        await redis.hdel(keys.api_heartbeats(settings.worker.app_id), silent.process)
    (reported,) = [p for p in summary["processes"] if p["process"] == silent.process]
    assert reported == {
        "process": silent.process,
        "component": "api",
        "metrics_url": silent.metrics_url,
        "answered": False,
        "error": "ClientConnectorError",
    }
    assert summary["totals"]["accepted"] >= 0
