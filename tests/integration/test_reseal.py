"""``lr privacy reseal`` and ``lr privacy reseal --swap --yes`` on a log written before sealing
(docs/privacy.md): the clear records are sealed in their place, every other record stays byte
for byte, and the worker's decoding gives exactly the statements it gave before, on the real
broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from learning_record.cli.reseal import staging_topic
from learning_record.cli.stack.local_stack import LocalStack
from learning_record.cli.statement_log import LoggedRecord, StatementLog
from learning_record.cli.topic_copy import (
    TopicShape,
    admin_client,
    commit_offsets,
    committed_offsets,
    delete_topic,
    topic_shape,
)
from learning_record.domain import ingest
from learning_record.domain.access import key_authority
from learning_record.domain.data_keys import pseudonymiser
from learning_record.domain.erasure import ErasureRecord
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.process.privacy import ANONYMOUS_HOME_PAGE
from learning_record.domain.sealing import PLACEHOLDER, SEALED_HEADER, parsed_record
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import Settings
from learning_record.platform.topics import MAX_RECORD_BYTES, ensure_topics, topic_partitions
from learning_record.store.learner_keys import LearnerKeys
from learning_record.store.sealed_records import ANONYMOUS, sealed_record
from tests.integration.conftest import isolated_settings
from tests.integration.learners import answered, person
from tests.integration.lr_cli import run_lr, run_lr_status

ACTIVITY = "https://example.org/activities/legacy-quiz"
# Kafka timestamps of the legacy records: a direct record's stored time.
LONG_AGO_MS = 1_600_000_000_000
# A record as the broker keeps it: key, value, headers, timestamp.
Kept = tuple[bytes | None, bytes | None, list[tuple[str, bytes]], int]
Log = dict[tuple[int, int], Kept]  # by partition and offset


async def test_reseal_seals_the_clear_records_in_place_and_keeps_every_statement(
    services: LocalStack,
) -> None:
    settings = await _isolated(services, "reseal")
    tenant = f"t{uuid.uuid4().hex[:10]}"
    learner, instructor, direct_learner = person("ada"), person("ines"), person("dora")
    markers = [f"{name} text {uuid.uuid4().hex}" for name in ("api", "direct")]
    api_documents = [
        _stored(answered(learner, ACTIVITY, result={"response": markers[0]})),
        _stored(answered(learner, ACTIVITY, context={"instructor": instructor})),
    ]
    direct_statement = answered(direct_learner, ACTIVITY, result={"response": markers[1]})
    stand_in = {"account": {"homePage": ANONYMOUS_HOME_PAGE, "name": uuid.uuid4().hex}}
    signing_key = settings.ingest.signing_key.get_secret_value().encode()
    api_value = orjson.dumps(api_documents)
    await _produce(
        settings,
        [
            # As the API wrote a batch before sealing: signed, in clear.
            (
                0,
                api_documents[0]["id"].encode(),
                api_value,
                [
                    (ingest.TENANT_HEADER, tenant.encode()),
                    (ingest.SOURCE_HEADER, ingest.SOURCE_API),
                    (ingest.SIGNATURE_HEADER, ingest.signature(signing_key, tenant, api_value)),
                    (ingest.DEFINE_HEADER, b"0"),
                ],
            ),
            (0, b"poison", b"{not json", [(ingest.TENANT_HEADER, tenant.encode())]),
            # A direct producer's, with a header of its own naming its learner.
            (
                1,
                b"direct",
                orjson.dumps(direct_statement),
                [
                    (ingest.TENANT_HEADER, tenant.encode()),
                    ("x-learner", direct_learner["name"].encode()),
                ],
            ),
            (1, None, await _sealed_batch(settings, tenant), _sealed_headers(tenant)),
            # A statement /process anonymised, converted before sealing.
            (
                3,
                f"{tenant}|anonymous".encode(),
                orjson.dumps(answered(stand_in, ACTIVITY)),
                [(ingest.TENANT_HEADER, tenant.encode())],
            ),
        ],
    )
    secrets = [
        str(agent[name]).encode()
        for agent in (learner, instructor, direct_learner)
        for name in ("mbox", "name")
    ] + [marker.encode() for marker in markers]
    legacy = await _read(settings)
    decoded = await _decoded(settings)
    assert any(secret in _bytes(record) for record in legacy.values() for secret in secrets)

    source, staging = settings.kafka.statements_topic, staging_topic(settings.kafka)
    shape = await _shape(settings, source)
    assert shape is not None
    assert shape.configs["max.message.bytes"] == str(MAX_RECORD_BYTES)  # set on the topic

    started = time.monotonic()
    copied = await run_lr(settings, "privacy", "reseal")
    copied_s = time.monotonic() - started
    assert await _read(settings) == legacy  # the topic itself untouched until the swap
    assert await _shape(settings, staging) == shape
    reader = f"reader-{tenant}"  # a consumer group that read part of the topic
    await commit_offsets(settings.kafka, source, {reader: {0: 1, 1: 2}})
    started = time.monotonic()
    swapped = await run_lr(settings, "privacy", "reseal", "--swap", "--yes")
    swapped_s = time.monotonic() - started
    print(f"\nreseal of {len(legacy)} records: {copied_s:.1f} s, swap {swapped_s:.1f} s")

    ends = ["  partition 0: end offset 2", "  partition 1: end offset 2"]
    ends += ["  partition 2: end offset 0", "  partition 3: end offset 1"]
    assert copied.splitlines()[-10:] == [
        f"read 5 records of {source}, copied to {staging}:",
        "  3 resealed",
        "  1 sealed already, copied as it was",
        "  1 dead-lettered by the worker, copied as it was",
        "  4 statements in the records resealed",
        *ends,
        "then, still stopped: lr privacy reseal --swap --yes",
    ]
    assert swapped.splitlines()[-6:] == [
        f"{source} holds the resealed copy: 5 records; {staging} deleted",
        *ends,
        f"  committed offsets kept for: {reader}",
    ]
    assert await committed_offsets(settings.kafka, source) == {reader: {0: 1, 1: 2}}
    resealed = await _read(settings)
    assert resealed.keys() == legacy.keys()
    assert await _ends(settings, source) == {0: 2, 1: 2, 2: 0, 3: 1}
    for place in ((0, 1), (1, 1)):  # the poison and the record sealed already
        assert resealed[place] == legacy[place]
    for place in ((0, 0), (1, 0), (3, 0)):
        key, _, headers, timestamp = resealed[place]
        assert dict(headers)[SEALED_HEADER] == b"1"
        assert (key, timestamp) == (legacy[place][0], legacy[place][3])
    for record in resealed.values():
        assert not [secret for secret in secrets if secret in _bytes(record)]
    (anonymised,) = parsed_record(resealed[(3, 0)][1] or b"")
    assert anonymised.body.learner == ANONYMOUS  # the tenant's one key, as the raw stream's

    assert await _decoded(settings) == decoded
    statements = {(r.partition, r.offset): r.documents for r in decoded if r.documents}
    assert statements[(0, 0)] == api_documents  # as the API stored them, timestamps included
    (direct,) = statements[(1, 0)]
    assert (direct["id"], direct["stored"], direct["authority"]) == (
        ingest.direct_id(tenant, 1, 0, 0),
        "2020-09-13T12:26:42.000Z",  # its Kafka timestamp
        ingest.kafka_authority(tenant),
    )
    assert direct["result"] == {"response": markers[1]}
    assert await _shape(settings, source) == shape
    assert await _shape(settings, staging) is None


async def test_a_swap_without_a_resealed_copy_is_refused_and_changes_nothing(
    services: LocalStack,
) -> None:
    settings = await _isolated(services, "reseal-refused")
    statement = answered(person("ada"), ACTIVITY)
    await _produce(settings, [(2, None, orjson.dumps(statement), [])])
    legacy = await _read(settings)

    code, _, stderr = await run_lr_status(settings, "privacy", "reseal", "--swap", "--yes")

    staging = staging_topic(settings.kafka)
    assert code == 1
    assert f"refused: no topic {staging}: run lr privacy reseal first" in stderr
    assert await _read(settings) == legacy
    assert await _shape(settings, staging) is None


async def test_a_swap_after_a_write_since_the_copy_is_refused_and_changes_nothing(
    services: LocalStack,
) -> None:
    settings = await _isolated(services, "reseal-late")
    learner = person("ada")
    await _produce(settings, [(1, None, orjson.dumps(answered(learner, ACTIVITY)), [])])
    await run_lr(settings, "privacy", "reseal")
    await _produce(settings, [(1, None, orjson.dumps(answered(learner, ACTIVITY)), [])])
    legacy = await _read(settings)

    code, _, stderr = await run_lr_status(settings, "privacy", "reseal", "--swap", "--yes")

    source, staging = settings.kafka.statements_topic, staging_topic(settings.kafka)
    assert code == 1
    assert (
        f"refused: {source} was left as it is: it holds records the staging topic does not "
        "(end offsets {1: 2}, the staging topic's {0: 0, 1: 1, 2: 0, 3: 0}): was it written to "
        "since? run lr privacy reseal again"
    ) in stderr
    assert await _read(settings) == legacy
    assert await _shape(settings, staging) is not None  # kept for a new run to replace


async def test_a_swap_stopped_once_the_topic_was_deleted_is_taken_again_from_the_copy(
    services: LocalStack,
) -> None:
    settings = await _isolated(services, "reseal-again")
    learner = person("ada")
    await _produce(
        settings,
        [(p, None, orjson.dumps(answered(learner, ACTIVITY)), []) for p in (0, 0, 3)],
    )
    decoded = await _decoded(settings)
    await run_lr(settings, "privacy", "reseal")
    source = settings.kafka.statements_topic
    async with admin_client(settings.kafka) as admin:
        await delete_topic(admin, source)  # where a swap that crashed may have stopped
    # A new copy now would replace the only whole one: refused.
    code, _, stderr = await run_lr_status(settings, "privacy", "reseal")
    assert code == 1
    assert "a swap stopped midway; run lr privacy reseal --swap --yes again" in stderr

    await run_lr(settings, "privacy", "reseal", "--swap", "--yes")

    assert await _ends(settings, source) == {0: 2, 1: 0, 2: 0, 3: 1}
    assert await _decoded(settings) == decoded
    assert str(learner["mbox"]).encode() not in b"".join(
        map(_bytes, (await _read(settings)).values())
    )


async def test_a_learner_erased_before_the_reseal_stays_erased(services: LocalStack) -> None:
    """Their statements written in clear are sealed for no one: gone, and the placeholder where
    another's statement names them, as their erasure left the rest of the log."""
    settings = await _isolated(services, "reseal-erased")
    tenant = f"t{uuid.uuid4().hex[:10]}"
    eve, otto = person("eve"), person("otto")
    headers = [(ingest.TENANT_HEADER, tenant.encode())]
    mentioning = answered(otto, ACTIVITY, context={"instructor": eve})
    await _produce(
        settings,
        [
            (0, None, orjson.dumps(answered(eve, ACTIVITY)), headers),
            (0, None, orjson.dumps(mentioning), headers),
        ],
    )
    pseudonym_key = settings.process.pseudonym_key.get_secret_value()
    erasure = {"id": "e1", "tenant": tenant, "at": "2026-12-01T00:00:00.000Z"}
    erasures = [
        ErasureRecord(
            kind="requested",
            learner=pseudonymiser(pseudonym_key, tenant)(ifi_of_raw(eve)),
            **erasure,
        ),
        ErasureRecord(kind="done", **erasure),
    ]
    producer = AIOKafkaProducer(**client_options(settings.kafka), acks="all")
    await producer.start()
    try:
        for record in erasures:
            await producer.send_and_wait(
                settings.kafka.erasures_topic, record.model_dump_json().encode(), key=b"e1"
            )
    finally:
        await producer.stop()

    # Eve came back after her erasure: what she sent since is hers.
    back = answered(eve, ACTIVITY, result={"response": "back again"})
    producer = AIOKafkaProducer(**client_options(settings.kafka), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.kafka.statements_topic, orjson.dumps(back), partition=1, headers=headers
        )
    finally:
        await producer.stop()

    await run_lr(settings, "privacy", "reseal")
    await run_lr(settings, "privacy", "reseal", "--swap", "--yes")

    gone, kept, returned = await _decoded(settings)
    ((_, since),) = returned.statements or []
    assert (since["actor"], since["result"]) == (eve, {"response": "back again"})
    assert gone.statements == []
    ((index, statement),) = kept.statements or []
    assert (index, statement["actor"], statement["context"]) == (
        0,
        otto,
        {"instructor": PLACEHOLDER},
    )
    secrets = [str(eve[name]).encode() for name in ("mbox", "name")]
    log = b"".join(map(_bytes, (await _read(settings)).values()))
    assert [secret for secret in secrets if secret in log] == []  # sealed, even what is hers


async def _isolated(services: LocalStack, name: str) -> Settings:
    """Settings of topics of their own, created."""
    settings = isolated_settings(services.settings, name)
    await ensure_topics(settings.kafka)
    return settings


async def _shape(settings: Settings, topic: str) -> TopicShape | None:
    async with admin_client(settings.kafka) as admin:
        return await topic_shape(admin, topic)


def _stored(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement as the API stored it: with the properties it sets."""
    stored = "2020-09-13T12:26:40.123Z"
    return {
        "id": str(uuid.uuid4()),
        **statement,
        "timestamp": stored,
        "stored": stored,
        "authority": key_authority("lrk_legacy"),
        "version": "1.0.0",
    }


async def _sealed_batch(settings: Settings, tenant: str) -> bytes:
    keys = LearnerKeys(settings)
    await keys.start()
    try:
        return await sealed_record(keys, tenant, [_stored(answered(person("sam"), ACTIVITY))])
    finally:
        await keys.stop()


def _sealed_headers(tenant: str) -> list[tuple[str, bytes]]:
    """The headers of a direct record the worker sealed onto the log (``sealed_forwarding``)."""
    return [(ingest.TENANT_HEADER, tenant.encode()), (SEALED_HEADER, b"1")]


async def _produce(
    settings: Settings, records: list[tuple[int, bytes | None, bytes, list[tuple[str, bytes]]]]
) -> None:
    """Each record (partition, key, value, headers) in turn, a second after the one before."""
    producer = AIOKafkaProducer(
        **client_options(settings.kafka), enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        for n, (partition, key, value, headers) in enumerate(records):
            await producer.send_and_wait(
                settings.kafka.statements_topic,
                value,
                key=key,
                partition=partition,
                timestamp_ms=LONG_AGO_MS + 1000 * n,
                headers=headers,
            )
    finally:
        await producer.stop()


async def _read(settings: Settings) -> Log:
    """Every record of the statements topic, by place, as the broker keeps it."""
    topic = settings.kafka.statements_topic
    ends = await _ends(settings, topic)
    partitions = [TopicPartition(topic, p) for p in ends]
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka), group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    log: Log = {}
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        async with asyncio.timeout(60):
            while len(log) < sum(ends.values()):
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for r in records:
                        log[(r.partition, r.offset)] = (
                            r.key,
                            r.value,
                            list(r.headers),
                            r.timestamp,
                        )
    finally:
        await consumer.stop()
    return log


async def _ends(settings: Settings, topic: str) -> dict[int, int]:
    async with admin_client(settings.kafka) as admin:
        partitions = [TopicPartition(topic, p) for p in await topic_partitions(admin, topic)]
    consumer = AIOKafkaConsumer(**client_options(settings.kafka), group_id=None)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {tp.partition: end for tp, end in ends.items()}


async def _decoded(settings: Settings) -> list[LoggedRecord]:
    """Every record of the statements topic as the worker and ``lr replay`` decode it."""
    async with StatementLog(settings) as log:
        return [record async for record in log.records()]


def _bytes(record: Kept) -> bytes:
    """Every byte of a record a broker keeps: key, value, headers."""
    key, value, headers, _ = record
    return (key or b"") + (value or b"") + b"".join(n.encode() + v for n, v in headers)
