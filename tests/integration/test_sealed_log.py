"""The statements topic keeps every statement sealed with its learners' keys (docs/privacy.md):
no identifier and no free text of a learner in clear, from the API or from direct producers,
and once a learner's keys are deleted their statements stay closed, even to a full replay."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import aiohttp
import orjson
from aiokafka import ConsumerRecord
from redis.asyncio import Redis

from learning_record.domain import ingest
from learning_record.domain.access import IssuedKey
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.sealing import PLACEHOLDER, SEALED_HEADER
from learning_record.platform.settings import Settings
from learning_record.store.learner_keys import LearnerKeys
from tests.integration.indicator_reads import learner_statement_count
from tests.integration.kafka_io import produce, read_matching
from tests.integration.learners import answered, person, statements_of, xapi_headers
from tests.integration.lr_cli import run_lr
from tests.pseudonyms import learner_ids
from tests.waiting import until


def statement(actor: dict[str, Any], marker: str, **extra: Any) -> dict[str, Any]:
    """``actor`` answered ``marker``: free text that must never be readable on the log."""
    activity = "https://example.org/activities/sealed-question"
    return answered(actor, activity, result={"response": marker}, **extra)


def secrets_of(*agents: dict[str, Any]) -> list[bytes]:
    return [str(agent[name]).encode() for agent in agents for name in ("mbox", "name")]


def of_tenant(tenant: str) -> Any:
    def wanted(record: ConsumerRecord[bytes, bytes]) -> bool:
        return dict(record.headers or ()).get(ingest.TENANT_HEADER) == tenant.encode()

    return wanted


def whole(record: ConsumerRecord[bytes, bytes]) -> bytes:
    """Every byte of a record a broker keeps: key, value, headers."""
    headers = b"".join(name.encode() + value for name, value in record.headers or ())
    return (record.key or b"") + (record.value or b"") + headers


async def post(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, body: list[dict[str, Any]]
) -> list[str]:
    async with http.post(
        f"{base_url}/statements", json=body, headers=xapi_headers(key)
    ) as response:
        assert response.status == 200, await response.text()
        return list(await response.json())


async def test_the_api_writes_statements_sealed_and_reads_them_back_whole(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, tenant_key: IssuedKey
) -> None:
    tenant = tenant_key.record.tenant
    learner, instructor = person("ada"), person("ines")
    marker = f"free text {uuid.uuid4().hex}"
    sent = statement(learner, marker, context={"instructor": instructor})

    (statement_id,) = await post(http, base_url, tenant_key, [sent])

    (record,) = await read_matching(settings, settings.kafka.statements_topic, of_tenant(tenant), 1)
    assert dict(record.headers)[SEALED_HEADER] == b"1"
    logged = whole(record)
    for secret in [*secrets_of(learner, instructor), marker.encode()]:
        assert secret not in logged
    (stored,) = [
        s for s in await statements_of(http, base_url, tenant_key) if s["id"] == statement_id
    ]
    assert (stored["actor"], stored["result"], stored["context"]) == (
        learner,
        {"response": marker},
        {"instructor": instructor},
    )


async def test_direct_statements_are_sealed_from_their_input_topic_onto_the_log(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, tenant_key: IssuedKey
) -> None:
    tenant = tenant_key.record.tenant
    learner = person("dora")
    marker = f"direct text {uuid.uuid4().hex}"
    topic = settings.kafka.direct_statements_topic

    await produce(settings, [orjson.dumps(statement(learner, marker))], tenant, topic=topic)

    agent = orjson.dumps({"mbox": learner["mbox"]}).decode()
    (stored,) = await until(
        lambda: statements_of(http, base_url, tenant_key, agent=agent), what="direct statement"
    )
    (given,) = await read_matching(settings, topic, of_tenant(tenant), 1)
    assert stored["id"] == ingest.direct_id(tenant, given.partition, given.offset, 0, topic)
    assert (stored["result"], stored["authority"]) == (
        {"response": marker},
        ingest.kafka_authority(tenant),
    )
    (record,) = await read_matching(settings, settings.kafka.statements_topic, of_tenant(tenant), 1)
    assert dict(record.headers)[SEALED_HEADER] == b"1"
    assert record.timestamp == given.timestamp  # the stored time a second reading gives again
    for secret in [*secrets_of(learner), marker.encode()]:
        assert secret not in whole(record)


async def test_without_a_learners_keys_a_replay_leaves_their_statements_closed(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, tenant_key: IssuedKey
) -> None:
    tenant = tenant_key.record.tenant
    erased, other = person("erin"), person("otto")
    own, mentioning = await post(
        http,
        base_url,
        tenant_key,
        [
            statement(erased, "erin's answer"),
            statement(other, "otto's answer", context={"instructor": erased}),
        ],
    )
    assert len(await statements_of(http, base_url, tenant_key)) == 2
    keys = LearnerKeys(settings)
    await keys.start()
    try:
        assert await keys.erase(tenant, keys.pseudonymiser(tenant)(ifi_of_raw(erased))) == 1
    finally:
        await keys.stop()

    output = await run_lr(settings, "replay", "--tenant", tenant, "--yes")

    assert "1 statements of 1 tenant(s)" in output
    (kept,) = await statements_of(http, base_url, tenant_key)
    assert kept["id"] == mentioning != own
    assert kept["context"]["instructor"] == PLACEHOLDER
    assert kept["actor"] == other


async def test_poison_on_the_direct_topic_is_dead_lettered_and_its_neighbours_go_on(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, tenant_key: IssuedKey
) -> None:
    tenant = tenant_key.record.tenant
    learner = person("poppy")
    not_json = b"{this is not json"
    nobody = orjson.dumps(statement({"name": "nobody at all"}, "no IFI"))
    invalid = orjson.dumps({**statement(learner, "no verb id"), "verb": {}})
    valid = statement(learner, "the neighbour")

    topic = settings.kafka.direct_statements_topic
    await produce(settings, [not_json, nobody, invalid, orjson.dumps(valid)], tenant, topic=topic)

    agent = orjson.dumps({"mbox": learner["mbox"]}).decode()
    await until(lambda: statements_of(http, base_url, tenant_key, agent=agent), what="neighbour")
    dead = await read_matching(settings, settings.kafka.dead_letter_topic, of_tenant(tenant), 3)
    reasons = {
        dict(r.headers)[ingest.DLQ_REASON_HEADER].decode(): (
            dict(r.headers)["lr-source-topic"].decode(),
            r.value,
        )
        for r in dead
    }
    assert reasons.pop("actor: identifies nobody: an Agent or Group needs an IFI") == (
        topic,
        nobody,
    )
    (json_reason,) = [reason for reason in reasons if reason.startswith("invalid JSON")]
    assert reasons.pop(json_reason) == (topic, not_json)
    # Sealed before it was validated: parked as the log holds it, sealed.
    ((reason, (source, value)),) = reasons.items()
    assert (reason, source) == ("[0].verb.id: is required", settings.kafka.statements_topic)
    assert learner["mbox"].encode() not in value


async def test_no_redis_key_names_a_learner_by_an_identifier_a_guess_could_test(
    http: aiohttp.ClientSession,
    base_url: str,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    """The view's agent indexes, the names of GET /agents and the indicators are filed under
    the keyed pseudonym of the IFI: neither the IFI nor its unkeyed hash names a key, and
    every agent lookup still finds its learner (docs/privacy.md)."""
    tenant = tenant_key.record.tenant
    learner, instructor = person("kim"), person("ian")
    sent = statement(learner, "any text", context={"instructor": instructor})
    await post(http, base_url, tenant_key, [sent])

    count = await until(
        lambda: learner_statement_count(http, base_url, tenant_key, learner),
        lambda counted: counted == 1,
        what="the statement counted",
    )
    assert count == 1
    agent = orjson.dumps({"mbox": instructor["mbox"]}).decode()
    by_instructor = await statements_of(
        http, base_url, tenant_key, agent=agent, related_agents="true"
    )
    assert [s["context"]["instructor"] for s in by_instructor] == [instructor]
    async with http.get(
        f"{base_url}/agents", params={"agent": agent}, headers=xapi_headers(tenant_key)
    ) as response:
        assert (await response.json())["name"] == [instructor["name"]]

    names = [key.decode() async for key in redis.scan_iter(match=f"lr:{{t:{tenant}}}:*")]
    learner_id = learner_ids(tenant)(ifi_of_raw(learner))
    assert any(learner_id in name for name in names)  # the pseudonym names their keys
    for person_ in (learner, instructor):
        ifi = ifi_of_raw(person_)
        unkeyed = hashlib.sha256(ifi.encode()).hexdigest()[:32]
        named = [n for n in names if person_["mbox"] in n or ifi in n or unkeyed in n]
        assert named == []
