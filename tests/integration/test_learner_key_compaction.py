"""Erasing a learner's data key removes it from the broker's disk within the bound the
learner-keys topic is configured for (docs/privacy.md), on the real broker.

What Kafka does, and what the deadlines below follow:

- The cleaner never compacts the active segment, and a segment rolls only when a record is
  appended: the first append once ``segment.ms`` (or ``max.compaction.lag.ms``, the smaller) has
  passed since the segment's first record. A topic that nobody writes to keeps a tombstoned key
  on disk for as long as it stays quiet, so this test keeps writing a harmless record.
- A rolled segment whose first record is older than ``max.compaction.lag.ms`` is compacted at
  the cleaner's next pass, at most ``log.cleaner.backoff.ms`` later (a broker setting).
- The segment the cleaner replaced is renamed ``*.log.deleted``, and unlinked and closed
  ``file.delete.delay.ms`` later. The next cleaning renames its own replaced segment over that
  name, but the broker still holds the earlier file open: its bytes stay on disk, unlinked, until
  that delay is over. Hence the look at the broker's open files as well as at the directory.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import UnknownTopicOrPartitionError

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.data_keys import DataKey, MasterKeys, WrappedKey, record_key
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import KafkaSettings, Settings
from learning_record.platform.topics import ensure_topics
from learning_record.store.learner_keys import SEGMENT_ROLL
from tests.integration.conftest import isolated_settings
from tests.waiting import until

BOUND_MS = 2000
# How much longer than Kafka's own delays a busy machine may take (2 CPUs, other tests).
MARGIN_S = 30.0
MASTERS = MasterKeys("m", {"m": "secret"})
Places = dict[str, list[str]]


async def test_an_erased_data_key_leaves_the_brokers_disk_within_its_bound(
    stack_settings: Settings, services: LocalStack
) -> None:
    base = isolated_settings(stack_settings, "key-compaction")
    kafka = base.kafka.model_copy(update={"data_key_erasure_ms": BOUND_MS})
    await ensure_topics(kafka)
    topic = kafka.learner_keys_topic
    configs, cleaner_backoff_ms = await _described(kafka, topic)
    assert {name: configs[name] for name in _EXPECTED} == {
        "file.delete.delay.ms": str(BOUND_MS),
        "cleanup.policy": "compact",
        "segment.ms": str(BOUND_MS),
        "max.compaction.lag.ms": str(BOUND_MS),
        "min.compaction.lag.ms": "0",
        "delete.retention.ms": str(BOUND_MS),
        "retention.ms": str(kafka.record_retention_ms),
    }
    # The topics whose keys or values an erasure tombstones keep to the same bound.
    for erasable in (kafka.documents_topic, kafka.attachments_topic):
        erasable_configs, _ = await _described(kafka, erasable)
        assert {name: erasable_configs[name] for name in _EXPECTED} == {
            name: configs[name] for name in _EXPECTED
        }
    directory = (stack_settings.stack.data_dir / "kafka-logs" / f"{topic}-0").resolve()
    (broker,) = services.brokers

    tenant = f"t{uuid.uuid4().hex[:10]}"
    kept, erased = DataKey.new(uuid.uuid4().hex), DataKey.new(uuid.uuid4().hex)
    kept_record, erased_record = MASTERS.wrap(tenant, kept), MASTERS.wrap(tenant, erased)
    erased_bytes = erased_record.wrapped.encode()
    producer = AIOKafkaProducer(**client_options(kafka), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, record in ((kept, kept_record), (erased, erased_record)):
            await producer.send_and_wait(
                topic, key=record_key(tenant, key.ref), value=_value(record), partition=0
            )
        await producer.send_and_wait(
            topic, key=record_key(tenant, erased.ref), value=None, partition=0
        )
        erased_at = time.monotonic()
        # Records are stored as produced (no compression): the search sees them.
        assert _places(directory, broker.pid, erased_bytes)["live"]

        # A tombstone of a key no learner has, as the workers write one every quarter of the
        # bound (LearnerKeys.roll_segment): the first one written once the erased key's segment
        # is due rolls that segment.
        roll_key = SEGMENT_ROLL
        every_s = int(configs["segment.ms"]) / 4 / 1000
        written_at = erased_at

        async def places() -> Places:
            nonlocal written_at
            if time.monotonic() - written_at >= every_s:
                await producer.send_and_wait(topic, key=roll_key, value=None, partition=0)
                written_at = time.monotonic()
            return _places(directory, broker.pid, erased_bytes)

        # Rolled once segment.ms has passed, due once max.compaction.lag.ms has, compacted at
        # the cleaner's next pass; then unlinked and closed file.delete.delay.ms later.
        compacted_by = (
            int(configs["segment.ms"]) + int(configs["max.compaction.lag.ms"]) + cleaner_backoff_ms
        ) / 1000 + MARGIN_S
        closed_by = compacted_by + int(configs["file.delete.delay.ms"]) / 1000
        await until(
            places,
            lambda found: not found["live"],
            within_s=compacted_by - (time.monotonic() - erased_at),
            what="the erased key out of the live segments",
        )
        compacted_after = time.monotonic() - erased_at
        await until(
            places,
            lambda found: not any(found.values()),
            within_s=closed_by - (time.monotonic() - erased_at),
            what="the erased key off the disk",
        )
        closed_after = time.monotonic() - erased_at
    finally:
        await producer.stop()
    print(
        f"\nerased data key: out of the live segments {compacted_after:.1f} s after its "
        f"tombstone, off the disk after {closed_after:.1f} s (deadlines {compacted_by:.0f} s "
        f"and {closed_by:.0f} s; bound {BOUND_MS} ms, log.cleaner.backoff.ms "
        f"{cleaner_backoff_ms}, file.delete.delay.ms {configs['file.delete.delay.ms']})"
    )

    assert _places(directory, broker.pid, kept_record.wrapped.encode())["live"]
    records = await _read_all(kafka, topic)
    kept_values = [value for key, value in records if key == record_key(tenant, kept.ref)]
    assert kept_values == [_value(kept_record)]
    (kept_value,) = kept_values
    assert kept_value is not None
    assert MASTERS.unwrap(tenant, kept.ref, WrappedKey.model_validate_json(kept_value)) == kept
    # Its tombstone may still be there (delete.retention.ms), its value nowhere.
    assert [value for key, value in records if key == record_key(tenant, erased.ref)] in (
        [],
        [None],
    )


_EXPECTED = (
    "file.delete.delay.ms",
    "cleanup.policy",
    "segment.ms",
    "max.compaction.lag.ms",
    "min.compaction.lag.ms",
    "delete.retention.ms",
    "retention.ms",
)


def _value(record: WrappedKey) -> bytes:
    return record.model_dump_json().encode()


def _is_segment(name: str) -> bool:
    """A segment file (``*.log``, ``*.log.cleaned``, ``*.log.swap``, ``*.log.deleted``), where
    records are; indexes and snapshots hold offsets and producer state, never a value."""
    return name.split(".")[1:2] == ["log"]


def _places(directory: Path, broker_pid: int, needle: bytes) -> Places:
    """The segment files of a partition's ``directory`` whose bytes contain ``needle``: the
    live ones (``*.log``); those the cleaner is writing or has replaced; and those the broker
    has unlinked but still holds open (Linux: /proc), whose bytes are still on disk."""
    found: Places = {"live": [], "replaced": [], "held open": []}
    for path in sorted(directory.iterdir()):
        if _is_segment(path.name) and _holds(path, needle):
            found["live" if path.suffix == ".log" else "replaced"].append(path.name)
    for descriptor in Path(f"/proc/{broker_pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:  # closed meanwhile
            continue
        name = target.removeprefix(f"{directory}/").removesuffix(" (deleted)")
        unlinked = target == f"{directory}/{name} (deleted)"
        if unlinked and _is_segment(name) and _holds(descriptor, needle):
            found["held open"].append(name)
    return found


def _holds(path: Path, needle: bytes) -> bool:
    try:
        return needle in path.read_bytes()
    except OSError:  # renamed, unlinked or closed between listing and reading
        return False


async def _described(kafka: KafkaSettings, topic: str) -> tuple[dict[str, str], int]:
    """The topic's configs, once the broker knows the new topic, and the broker's
    ``log.cleaner.backoff.ms``."""
    admin = AIOKafkaAdminClient(**client_options(kafka))
    await admin.start()
    try:
        (broker,) = (await admin.describe_cluster())["brokers"]
        node = str(broker["node_id"])
        topic_configs = await until(
            lambda: _configs(admin, ConfigResource(ConfigResourceType.TOPIC, topic)),
            what=f"configs of {topic}",
        )
        broker_configs = await _configs(admin, ConfigResource(ConfigResourceType.BROKER, node))
    finally:
        await admin.close()
    return topic_configs, int(broker_configs["log.cleaner.backoff.ms"])


async def _configs(admin: AIOKafkaAdminClient, resource: ConfigResource) -> dict[str, str]:
    """A resource's configs; none while the broker does not know it yet."""
    (response,) = await admin.describe_configs([resource])
    ((error_code, error_message, _, _, entries),) = response.resources
    if error_code == UnknownTopicOrPartitionError.errno:
        return {}
    assert error_code == 0, error_message
    return {entry[0]: entry[1] for entry in entries}


async def _read_all(kafka: KafkaSettings, topic: str) -> list[tuple[bytes, bytes | None]]:
    """Every record of the topic from its beginning to its end, key and value."""
    partition = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(**client_options(kafka), group_id=None, enable_auto_commit=False)
    await consumer.start()
    records: list[tuple[bytes, bytes | None]] = []
    try:
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        async with asyncio.timeout(30):
            while await consumer.position(partition) < end:
                fetched = await consumer.getmany(partition, timeout_ms=1000)
                records.extend((record.key, record.value) for record in fetched.get(partition, []))
    finally:
        await consumer.stop()
    return records
