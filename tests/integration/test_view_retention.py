"""View retention forgets statements stored before the cutoff, and every key of theirs, while
Kafka keeps them; newer statements, and those pointing to a forgotten one, stay."""

from __future__ import annotations

import time
import uuid
from functools import partial

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from learning_record.domain import ingest
from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from learning_record.store import keys
from learning_record.store.statements import purge_view, tenants_with_statements
from tests.pseudonyms import learner_ids
from tests.waiting import until

DAY_MS = 86_400_000


def statement(verb: str, object_: dict[str, str] | None = None) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:retention@example.org"},
        "verb": {"id": verb},
        "object": object_ or {"id": "https://example.org/activities/retention"},
    }


async def test_purge_forgets_old_statements_and_only_them(
    settings: Settings,
    http: aiohttp.ClientSession,
    base_url: str,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    tenant = tenant_key.record.tenant
    now_ms = time.time_ns() // 1_000_000
    old = statement("https://example.org/verbs/old-only")
    new = statement("https://example.org/verbs/new")
    pointing = statement(
        "https://example.org/verbs/points", {"objectType": "StatementRef", "id": str(old["id"])}
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap_servers, acks="all")
    await producer.start()
    headers = [(ingest.TENANT_HEADER, tenant.encode())]
    # Produced straight to Kafka, a statement is stored at its record's timestamp.
    await producer.send_and_wait(
        settings.kafka.statements_topic,
        orjson.dumps(old),
        headers=headers,
        timestamp_ms=now_ms - 3 * DAY_MS,
    )
    for fresh in (new, pointing):
        await producer.send_and_wait(
            settings.kafka.statements_topic, orjson.dumps(fresh), headers=headers
        )
    await producer.stop()
    auth = {"x-api-key": tenant_key.header_value, "X-Experience-API-Version": "1.0.3"}

    async def status_of(statement_id: object) -> int:
        url = f"{base_url}/statements?statementId={statement_id}"
        async with http.get(url, headers=auth) as response:
            return response.status

    for sent in (old, new, pointing):
        await until(partial(status_of, sent["id"]), lambda code: code == 200, what="stored")
    assert tenant in await tenants_with_statements(redis)

    purge = partial(purge_view, redis, tenant, now_ms - DAY_MS, learner_ids(tenant))
    assert await purge() == 1
    assert await purge() == 0

    assert await status_of(old["id"]) == 404
    assert await status_of(new["id"]) == 200
    assert await status_of(pointing["id"]) == 200
    old_id = str(old["id"])
    leftovers = [
        keys.statement(tenant, old_id),
        keys.statement_claim(tenant, old_id),
        keys.voided_by(tenant, old_id),
        keys.targeted_by(tenant, old_id),
    ]
    assert await redis.exists(*leftovers) == 0
    assert await redis.zscore(keys.statement_order(tenant), old_id) is None
    assert await redis.zscore(keys.statement_expiry(tenant), old_id) is None
    async with http.get(
        f"{base_url}/statements", params={"format": "ids"}, headers=auth
    ) as response:
        listed = [s["id"] for s in (await response.json())["statements"]]
    assert sorted(listed) == sorted([str(new["id"]), str(pointing["id"])])
