"""Forgetting a learner (docs/privacy.md): DELETE /admin/learners and lr erase, end to end on the
real stack. Their statements leave every answer, the statements of others keep a placeholder in
their place, activity indicators no longer count them (exactly: `lr verify` agrees), and a full
replay of the log brings nothing of theirs back."""

from __future__ import annotations

import hashlib
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from learning_record.domain import ingest
from learning_record.domain.access import IssuedKey
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.sealing import PLACEHOLDER
from learning_record.platform.settings import Settings
from learning_record.store import keys
from learning_record.store.statements import purge_view
from tests.integration import learners
from tests.integration.indicator_reads import learner_statement_count
from tests.integration.kafka_io import read_matching
from tests.integration.learners import person, statements_of, xapi_headers
from tests.integration.lr_cli import run_lr, run_lr_status
from tests.pseudonyms import learner_ids
from tests.unit.test_attachments_multipart import (
    CONTENT_TYPE,
    data_part,
    json_part,
    multipart_body,
    text_attachment,
)
from tests.unit.test_signatures import jws_of, signed
from tests.waiting import until

DAY_MS = 86_400_000


def answered(actor: dict[str, Any], activity: str, **extra: Any) -> dict[str, Any]:
    """``learners.answered``, with a response naming who gave it."""
    return learners.answered(
        actor, activity, **{"result": {"response": f"said by {actor['name']}"}, **extra}
    )


def headers(key: IssuedKey) -> dict[str, str]:
    return xapi_headers(key)


async def activity_count(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, activity: str
) -> int:
    async with http.get(
        f"{base_url}/indicators/activity", params={"activityId": activity}, headers=headers(key)
    ) as response:
        assert response.status == 200
        return int((await response.json())["indicators"]["statements"])


async def erasure_state(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, erasure_id: str
) -> dict[str, Any]:
    async with http.get(
        f"{base_url}/admin/erasures/{erasure_id}", headers=headers(key)
    ) as response:
        assert response.status == 200, await response.text()
        return dict(await response.json())


async def test_an_erased_learner_leaves_every_answer_and_the_log_keeps_nothing_readable(
    http: aiohttp.ClientSession,
    base_url: str,
    settings: Settings,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    tenant = tenant_key.record.tenant
    erin, otto = person("erin"), person("otto")
    activity = f"https://example.org/activities/erasure-{uuid.uuid4().hex[:8]}"
    sent = [
        answered(erin, activity),
        answered(erin, activity),
        answered(otto, activity, context={"instructor": erin}),
    ]
    async with http.post(
        f"{base_url}/statements", json=sent, headers=headers(tenant_key)
    ) as response:
        assert response.status == 200
        _, _, mentioning = await response.json()
    # A signed statement of hers: its signature, a JWS of it, is an attachment of its own.
    original = {**answered(erin, activity), "id": str(uuid.uuid4())}
    jws = jws_of(original)
    body = multipart_body(
        json_part(signed(original, jws)), data_part(jws, Content_Type="application/octet-stream")
    )
    await post_multipart(http, base_url, tenant_key, body)
    signature = keys.attachment(tenant_key.record.tenant, hashlib.sha256(jws).hexdigest())
    assert await redis.exists(signature) == 1
    await until(lambda: activity_count(http, base_url, tenant_key, activity), lambda n: n == 4)
    agent = orjson.dumps({"mbox": erin["mbox"]}).decode()
    otto_agent = orjson.dumps({"mbox": otto["mbox"]}).decode()
    documents = [
        ("activities/state", {"activityId": activity, "agent": agent, "stateId": "bookmark"}),
        ("agents/profile", {"agent": agent, "profileId": "preferences"}),
        ("agents/profile", {"agent": otto_agent, "profileId": "preferences"}),
    ]
    for resource, params in documents:
        async with http.put(
            f"{base_url}/{resource}",
            params=params,
            json={"of": resource},
            headers=headers(tenant_key),
        ) as response:
            assert response.status == 204, await response.text()

    async with http.delete(
        f"{base_url}/admin/learners", params={"agent": agent}, headers=headers(tenant_key)
    ) as response:
        assert response.status == 202, await response.text()
        asked = await response.json()
        location = response.headers["Location"]
    assert set(asked) == {"id", "state", "requested", "finished"}
    assert (asked["state"], asked["finished"]) == ("pending", None)
    assert location == f"/learningrecord/v1/admin/erasures/{asked['id']}"
    assert erin["mbox"] not in orjson.dumps(asked).decode()

    done = await until(
        lambda: erasure_state(http, base_url, tenant_key, asked["id"]),
        lambda state: state["state"] == "done",
        within_s=60,
        what="erasure done",
    )
    assert done["finished"] >= done["requested"] == asked["requested"]

    async def after() -> None:
        (kept,) = await statements_of(http, base_url, tenant_key)
        assert kept["id"] == mentioning
        assert kept["context"]["instructor"] == PLACEHOLDER
        assert kept["actor"] == otto
        assert await statements_of(http, base_url, tenant_key, agent=agent) == []
        assert await learner_statement_count(http, base_url, tenant_key, erin) == 0
        assert await activity_count(http, base_url, tenant_key, activity) == 1
        kept_documents = []
        for resource, params in documents:
            async with http.get(
                f"{base_url}/{resource}", params=params, headers=headers(tenant_key)
            ) as response:
                if response.status == 200:
                    kept_documents.append(params["agent"])
                else:
                    assert response.status == 404
        assert kept_documents == [otto_agent]
        assert await redis.exists(signature) == 0

    await until(lambda: activity_count(http, base_url, tenant_key, activity), lambda n: n == 1)
    await after()
    code, verified, errors = await run_lr_status(settings, "verify", "--tenant", tenant)
    assert code == 0, verified + errors
    assert verified.rstrip().endswith(": 0 differences")

    await run_lr(settings, "replay", "--tenant", tenant, "--yes")
    await after()


async def test_lr_erase_asks_for_an_erasure_and_waits_until_it_is_done(
    http: aiohttp.ClientSession, base_url: str, settings: Settings, tenant_key: IssuedKey
) -> None:
    tenant = tenant_key.record.tenant
    dora = person("dora")
    activity = f"https://example.org/activities/erasure-{uuid.uuid4().hex[:8]}"
    async with http.post(
        f"{base_url}/statements", json=[answered(dora, activity)], headers=headers(tenant_key)
    ) as response:
        assert response.status == 200
    await until(lambda: activity_count(http, base_url, tenant_key, activity), lambda n: n == 1)

    agent = orjson.dumps({"mbox": dora["mbox"]}).decode()
    output = await run_lr(settings, "erase", "--tenant", tenant, "--agent", agent, "--wait", "60")

    asked, finished = output.splitlines()
    erasure_id = asked.split()[1]
    assert asked.startswith(f"erasure {erasure_id} asked at ")
    assert finished.startswith(f"erasure {erasure_id} done at ")
    assert dora["mbox"] not in output
    assert (await erasure_state(http, base_url, tenant_key, erasure_id))["state"] == "done"
    assert await statements_of(http, base_url, tenant_key, agent=agent) == []
    await until(lambda: activity_count(http, base_url, tenant_key, activity), lambda n: n == 0)


async def test_erasure_asks_for_an_admin_key_and_a_valid_agent(
    http: aiohttp.ClientSession, base_url: str, tenant_key: IssuedKey
) -> None:
    url = f"{base_url}/admin/learners"
    async with http.delete(url, params={"agent": "not json"}, headers=headers(tenant_key)) as bad:
        assert bad.status == 400
        assert "agent" in (await bad.json())["error"]["message"]
    async with http.delete(url, params={"agent": '{"mbox": "mailto:a@example.org"}'}) as anonymous:
        assert anonymous.status == 401
    async with http.get(
        f"{base_url}/admin/erasures/{uuid.uuid4()}", headers=headers(tenant_key)
    ) as unknown:
        assert unknown.status == 404


async def post_with_attachments(
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    statement: dict[str, Any],
    *contents: bytes,
) -> None:
    """``statement`` with each of ``contents`` as a text attachment of its own."""
    attachments = [
        text_attachment(length=len(data), sha2=hashlib.sha256(data).hexdigest())
        for data in contents
    ]
    body = multipart_body(
        json_part({**statement, "attachments": attachments}), *map(data_part, contents)
    )
    await post_multipart(http, base_url, key, body)


async def post_multipart(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, body: bytes
) -> None:
    async with http.post(
        f"{base_url}/statements", data=body, headers={**headers(key), "Content-Type": CONTENT_TYPE}
    ) as response:
        assert response.status == 200, await response.text()


def segment_bytes(log_dirs: Path) -> dict[str, bytes]:
    """Every byte of every segment file of every partition the broker keeps, by file."""
    return {
        str(path.relative_to(log_dirs)): path.read_bytes()
        for path in sorted(log_dirs.glob("*/*.log"))
    }


async def redis_dump(redis: Redis) -> bytes:
    """The server's own snapshot (SAVE), read from its folder."""
    await redis.save()
    folder = str((await redis.config_get("dir"))["dir"])
    name = str((await redis.config_get("dbfilename"))["dbfilename"])
    return (Path(folder) / name).read_bytes()


async def erased(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, agent: dict[str, Any]
) -> None:
    """Ask for the erasure of ``agent`` (its IFI only), and wait until it is done."""
    query = {"agent": orjson.dumps({k: v for k, v in agent.items() if k != "name"}).decode()}
    async with http.delete(
        f"{base_url}/admin/learners", params=query, headers=headers(key)
    ) as response:
        assert response.status == 202
        erasure_id = (await response.json())["id"]
    await until(
        lambda: erasure_state(http, base_url, key, erasure_id),
        lambda state: state["state"] == "done",
        within_s=60,
        what="erasure done",
    )


async def test_once_erased_no_topic_segment_and_no_redis_dump_holds_the_learner_readable(
    http: aiohttp.ClientSession,
    base_url: str,
    stack_settings: Settings,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    erin, otto = person("erin"), person("otto")
    marker = f"marker {uuid.uuid4().hex}"
    activity = f"https://example.org/activities/erasure-{uuid.uuid4().hex[:8]}"
    erin_account = {
        "account": {"homePage": "https://lms.example.org", "name": f"erin-{uuid.uuid4().hex[:8]}"},
        "name": erin["name"],
    }
    voided = str(uuid.uuid4())  # a void takes it out of every index: the erasure finds it still
    sent = [
        {**answered(erin, activity), "result": {"response": marker}},
        answered(erin_account, activity),
        answered(
            otto,
            activity,
            context={"instructor": erin, "team": {"objectType": "Group", "member": [erin_account]}},
        ),
        {**answered(erin, activity), "id": voided, "result": {"response": f"{marker} voided"}},
        {
            "actor": otto,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": voided},
        },
    ]
    async with http.post(
        f"{base_url}/statements", json=sent, headers=headers(tenant_key)
    ) as response:
        assert response.status == 200
    # An attachment only she sent, and one that Otto sent too: hers goes, the shared one stays.
    own, shared = f"attached {uuid.uuid4().hex}".encode(), f"shared {uuid.uuid4().hex}".encode()
    await post_with_attachments(http, base_url, tenant_key, answered(erin, activity), own, shared)
    await post_with_attachments(http, base_url, tenant_key, answered(otto, activity), shared)
    await until(lambda: activity_count(http, base_url, tenant_key, activity), lambda n: n == 5)

    for agent in (erin, erin_account):
        await erased(http, base_url, tenant_key, agent)
    await until(lambda: activity_count(http, base_url, tenant_key, activity), lambda n: n == 2)
    tenant = tenant_key.record.tenant
    held = [keys.attachment(tenant, hashlib.sha256(data).hexdigest()) for data in (own, shared)]
    assert [await redis.exists(key) for key in held] == [0, 1]
    (otto_attached,) = [
        s
        for s in await statements_of(http, base_url, tenant_key, agent=orjson.dumps(otto).decode())
        if s.get("attachments")
    ]
    assert [a["sha2"] for a in otto_attached["attachments"]] == [hashlib.sha256(shared).hexdigest()]
    async with http.get(
        f"{base_url}/statements",
        params={"voidedStatementId": voided},
        headers=headers(tenant_key),
    ) as response:
        assert response.status == 404

    secrets = {
        "e-mail": erin["mbox"].removeprefix("mailto:").encode(),
        "account name": erin_account["account"]["name"].encode(),
        "display name": erin["name"].encode(),
        "marker": marker.encode(),  # in a response, and in a voided statement
    }
    found = {
        (what, where)
        for where, content in {
            **segment_bytes(stack_settings.stack.data_dir / "kafka-logs"),
            "redis dump": await redis_dump(redis),
        }.items()
        for what, secret in secrets.items()
        if secret in content
    }
    assert found == set()
    # Her attachment's content left Redis, and is tombstoned on its topic: compacted away within
    # the erasure bound, which test_learner_key_compaction shows on the same settings.
    assert own not in await redis_dump(redis)
    own_key = f"{tenant}|{hashlib.sha256(own).hexdigest()}".encode()
    records = await read_matching(
        stack_settings, stack_settings.kafka.attachments_topic, lambda r: r.key == own_key, 2
    )
    assert [record.value for record in records] == [own, None]


async def test_an_erasure_retracts_the_statements_retention_purged_from_the_view(
    http: aiohttp.ClientSession,
    base_url: str,
    settings: Settings,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    """Retention forgets a statement's claim with it; what it keeps instead lets the erasure
    retract the statement exactly, and `lr verify` agrees."""
    tenant = tenant_key.record.tenant
    rita, olga = person("rita"), person("olga")
    activity = f"https://example.org/activities/retired-{uuid.uuid4().hex[:8]}"
    old = [{**answered(actor, activity), "id": str(uuid.uuid4())} for actor in (rita, rita, olga)]
    now_ms = time.time_ns() // 1_000_000
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        # Direct statements are stored at their record's time: three days ago.
        for sent in old:
            await producer.send_and_wait(
                settings.kafka.direct_statements_topic,
                orjson.dumps(sent),
                headers=[(ingest.TENANT_HEADER, tenant.encode())],
                timestamp_ms=now_ms - 3 * DAY_MS,
            )
    finally:
        await producer.stop()
    async with http.post(
        f"{base_url}/statements", json=answered(rita, activity), headers=headers(tenant_key)
    ) as response:
        assert response.status == 200
    await until(lambda: activity_count(http, base_url, tenant_key, activity), lambda n: n == 4)

    purge = partial(purge_view, redis, tenant, now_ms - DAY_MS, learner_ids(tenant))
    while await purge():
        pass
    rita_id = learner_ids(tenant)(ifi_of_raw(rita))
    assert len(await redis.hgetall(keys.retired(tenant, rita_id))) == 2
    await erased(http, base_url, tenant_key, rita)

    await until(lambda: activity_count(http, base_url, tenant_key, activity), lambda n: n == 1)
    assert await learner_statement_count(http, base_url, tenant_key, rita) == 0
    assert await learner_statement_count(http, base_url, tenant_key, olga) == 1
    assert await redis.exists(keys.retired(tenant, rita_id)) == 0
    retention = settings.redis.model_copy(update={"statement_retention_days": 1})
    with_retention = settings.model_copy(update={"redis": retention})
    code, verified, errors = await run_lr_status(with_retention, "verify", "--tenant", tenant)
    assert code == 0, verified + errors
    assert verified.rstrip().endswith(": 0 differences")
