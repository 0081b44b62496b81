"""Statements produced straight onto the input topic, and records that must not stop the worker."""

from __future__ import annotations

import uuid

import aiohttp
import orjson
from redis.asyncio import Redis

from learning_record.domain import ingest
from learning_record.platform.settings import Settings
from learning_record.store.statements import fetch_statement
from tests.integration.conftest import issue_key
from tests.integration.indicator_reads import learner_statement_count
from tests.integration.kafka_io import produce, read_matching
from tests.waiting import until


def learner_statement(mbox: str) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": mbox},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "https://example.org/activities/quiz-1"},
        "timestamp": "2026-11-27T10:00:00.123Z",
    }


async def test_direct_statement_is_stored_and_counted_for_its_learner(
    settings: Settings, redis: Redis, http: aiohttp.ClientSession, base_url: str
) -> None:
    key = await issue_key(settings)
    tenant = key.record.tenant
    sent = [learner_statement("mailto:lin@example.org") for _ in range(3)]

    await produce(settings, [orjson.dumps(s) for s in sent], tenant)

    count = await until(
        lambda: learner_statement_count(http, base_url, key, {"mbox": "mailto:lin@example.org"}),
        lambda n: n >= 3,
        what="learner count",
    )
    assert count == 3
    stored = orjson.loads(await fetch_statement(redis, tenant, str(sent[0]["id"])) or b"null")
    assert stored["verb"] == sent[0]["verb"]
    assert stored["authority"] == ingest.kafka_authority(tenant)
    assert stored["timestamp"] == "2026-11-27T10:00:00.123Z"


async def test_statement_without_id_gets_one_derived_from_its_position(
    settings: Settings, http: aiohttp.ClientSession, base_url: str
) -> None:
    key = await issue_key(settings)
    sent = {k: v for k, v in learner_statement("mailto:kim@example.org").items() if k != "id"}
    await produce(settings, [orjson.dumps(sent)], key.record.tenant)
    agent = {"mbox": "mailto:kim@example.org"}
    count = await until(
        lambda: learner_statement_count(http, base_url, key, agent), what="learner count"
    )
    assert count == 1


async def test_poison_records_go_to_the_dead_letter_topic_and_the_worker_goes_on(
    settings: Settings, http: aiohttp.ClientSession, base_url: str
) -> None:
    key = await issue_key(settings)
    tenant = key.record.tenant
    not_json = b"{this is not json"
    not_a_statement = orjson.dumps({"actor": {"mbox": "mailto:x@example.org"}, "verb": {}})
    valid = learner_statement("mailto:after-poison@example.org")

    await produce(settings, [not_json, not_a_statement, orjson.dumps(valid)], tenant)

    agent = {"mbox": "mailto:after-poison@example.org"}
    await until(
        lambda: learner_statement_count(http, base_url, key, agent),
        what="valid statement processed",
    )
    dead = await read_matching(
        settings,
        settings.kafka.dead_letter_topic,
        lambda r: dict(r.headers).get(ingest.TENANT_HEADER) == tenant.encode(),
        expected=2,
    )
    # Unkeyed records spread over partitions, so the dead letters may come in any order.
    reasons = {r.value: dict(r.headers)[ingest.DLQ_REASON_HEADER].decode() for r in dead}
    assert set(reasons) == {not_json, not_a_statement}
    assert reasons[not_json].startswith("invalid JSON")
    assert reasons[not_a_statement] == "verb.id: is required"


async def test_a_tenant_header_that_is_not_a_tenant_is_dead_lettered_not_routed_into_a_prefix(
    settings: Settings, redis: Redis, http: aiohttp.ClientSession, base_url: str
) -> None:
    key = await issue_key(settings)
    tenant = key.record.tenant
    agent = {"mbox": "mailto:pipe@example.org"}
    forged, valid = (learner_statement("mailto:pipe@example.org") for _ in range(2))

    await produce(settings, [orjson.dumps(forged)], f"{tenant}|other")
    await produce(settings, [orjson.dumps(valid)], tenant)

    (dead,) = await read_matching(
        settings,
        settings.kafka.dead_letter_topic,
        lambda r: dict(r.headers).get(ingest.TENANT_HEADER) == f"{tenant}|other".encode(),
        expected=1,
    )
    assert dict(dead.headers)[ingest.DLQ_REASON_HEADER].decode() == (
        f"tenant '{tenant}|other' is not 1-63 lowercase letters, digits, '-' or '_', starting "
        "with a letter or digit"
    )
    await until(lambda: learner_statement_count(http, base_url, key, agent), what="counted")
    assert await learner_statement_count(http, base_url, key, agent) == 1  # the valid one only
    assert await fetch_statement(redis, tenant, str(forged["id"])) is None
