"""The topics we own, created idempotently by whichever process starts first."""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError, for_code

from learning_record.platform import logs
from learning_record.platform.kafka_access import KafkaAccessRefused, access_refused, client_options
from learning_record.platform.settings import KafkaSettings

log = logs.get_logger(__name__)

# One API batch is one record; the broker's 1 MiB default would cap batches far below the API's
# body limit, so the statements topic and the producers allow this much.
MAX_RECORD_BYTES = 32 * 1024 * 1024
# A raw record is one input of the conversion (docs/process.md, "Bounds": 1 MiB of CSV text, a
# few thousand JSON values), so its topic takes far less, and the normaliser refuses more.
MAX_RAW_RECORD_BYTES = 2 * 1024 * 1024


# The worker's indicator tables: learners and learner-activity pairs, and activities. Faust
# names each one's changelog topic after the app id (``changelog_topic``).
INDICATOR_TABLES = ("learner-indicators", "activity-indicators")


def changelog_topic(app_id: str, table: str) -> str:
    return f"{app_id}-{table}-changelog"


def owned_topics(kafka: KafkaSettings) -> list[NewTopic]:
    """Every topic we own, each replicated as the settings say."""
    forever = str(kafka.record_retention_ms)
    topics: list[_Topic] = [
        # The system of record: never deleted by time unless an operator says so.
        _Topic(
            kafka.statements_topic,
            kafka.partitions,
            {"retention.ms": forever, "max.message.bytes": str(MAX_RECORD_BYTES)},
        ),
        # Latest record per key id is what counts, kept forever.
        _Topic(
            kafka.keys_topic,
            1,
            {"cleanup.policy": "compact", "retention.ms": forever},
        ),
        # Attachment content by "<tenant>|<sha2>": the same content is stored once, forever;
        # an erasure tombstones the signatures of the learner's statements (docs/privacy.md).
        _erasable_compacted(kafka.attachments_topic, kafka),
        # Documents by "<tenant, resource, parameters>": the last change of each, forever
        # (a DELETE is a tombstone), so that `lr replay` rebuilds them (docs/documents.md).
        # Their keys name Agents' IFIs: an erasure's tombstones leave the disk within the same
        # bound as the data keys' (docs/privacy.md).
        _erasable_compacted(kafka.documents_topic, kafka),
        # The worker's indicator operations, one record per destination partition per batch.
        # Created here, before any worker subscribes, so that the first statement is counted.
        *(
            _Topic(
                name,
                kafka.partitions,
                {
                    "retention.ms": str(kafka.operations_retention_ms),
                    "max.message.bytes": str(MAX_RECORD_BYTES),
                },
            )
            for name in (kafka.learner_ops_topic, kafka.activity_ops_topic)
        ),
        # Records of other formats, to convert: personal data not pseudonymised yet, kept
        # only for as long as the worker may take to convert them.
        _Topic(
            kafka.raw_statements_topic,
            kafka.partitions,
            {
                "retention.ms": str(kafka.raw_retention_ms),
                "max.message.bytes": str(MAX_RAW_RECORD_BYTES),
            },
        ),
        # Direct producers' statements in clear, until the worker has sealed them.
        _Topic(
            kafka.direct_statements_topic,
            kafka.partitions,
            {
                "retention.ms": str(kafka.raw_retention_ms),
                "max.message.bytes": str(MAX_RECORD_BYTES),
            },
        ),
        _learner_keys(kafka),
        # Erasures asked and done, by erasure id: the audit trail, with no learner's identifier
        # anyone can read once done (docs/privacy.md).
        _Topic(kafka.erasures_topic, kafka.partitions, {"retention.ms": forever}),
        _Topic(
            kafka.dead_letter_topic,
            1,
            {"retention.ms": forever, "max.message.bytes": str(MAX_RECORD_BYTES)},
        ),
    ]
    configs = replica_configs(kafka)
    return [
        NewTopic(
            topic.name,
            topic.partitions,
            kafka.replication_factor,
            topic_configs={**topic.configs, **configs},
        )
        for topic in topics
    ]


def replica_configs(kafka: KafkaSettings) -> dict[str, str]:
    """What every topic we own sets about its replicas, Faust's changelogs included."""
    return {"min.insync.replicas": str(kafka.min_insync_replicas)}


class _Topic(NamedTuple):
    name: str
    partitions: int
    configs: dict[str, str]


def _learner_keys(kafka: KafkaSettings) -> _Topic:
    """Learners' data keys, the last record per key id, where erasing a key must remove it from
    disk within a bound (docs/privacy.md). Kafka never compacts the active segment, and rolls a
    segment only when a record is appended once ``segment.ms`` has passed: the workers append
    one at least every quarter of ``data_key_erasure_ms`` (``LearnerKeys.roll_segment``).
    ``max.compaction.lag.ms`` makes the cleaner take a rolled segment whatever its dirty ratio,
    and a tombstone is dropped ``delete.retention.ms`` after it was compacted."""
    return _Topic(
        kafka.learner_keys_topic,
        1,
        {
            "cleanup.policy": "compact",
            "retention.ms": str(kafka.record_retention_ms),
            **_erasable(kafka),
        },
    )


def _erasable_compacted(name: str, kafka: KafkaSettings) -> _Topic:
    """``_compacted``, where an erasure's tombstones leave the disk within the data keys' bound
    (the workers' roll tombstones keep its segments rolling)."""
    topic = _compacted(name, kafka)
    return topic._replace(configs={**topic.configs, **_erasable(kafka)})


def _erasable(kafka: KafkaSettings) -> dict[str, str]:
    """What bounds how long a compacted topic keeps a tombstoned key's last value on disk."""
    bound = str(kafka.data_key_erasure_ms)
    return {
        "segment.ms": bound,
        "max.compaction.lag.ms": bound,
        "min.compaction.lag.ms": "0",
        "delete.retention.ms": bound,
        # How long a compacted-away segment file stays on disk (Kafka's default is 60 s).
        "file.delete.delay.ms": str(min(60_000, kafka.data_key_erasure_ms)),
    }


def _compacted(name: str, kafka: KafkaSettings) -> _Topic:
    """A topic of the last record per key, kept forever, with records as large as a body."""
    return _Topic(
        name,
        kafka.partitions,
        {
            "cleanup.policy": "compact",
            "retention.ms": str(kafka.record_retention_ms),
            "max.message.bytes": str(MAX_RECORD_BYTES),
        },
    )


# How long a process waits at start for the brokers to create or list its topics.
ENSURE_TOPICS_DEADLINE_S = 60.0


async def ensure_topics(kafka: KafkaSettings) -> None:
    """Create the topics we own that are missing. A broker of a cluster that is down when a
    process starts makes a request fail, or a topic's creation (too few brokers for its
    replicas): retriable errors are retried until ``ENSURE_TOPICS_DEADLINE_S``, others raised,
    and so is a refused login or an untrusted certificate (``KafkaAccessRefused``), at once."""
    deadline = time.monotonic() + ENSURE_TOPICS_DEADLINE_S
    while True:
        try:
            await _create_missing(kafka)
            return
        except (KafkaError, TimeoutError) as error:
            if isinstance(error, KafkaConnectionError) and (why := await access_refused(kafka)):
                raise KafkaAccessRefused(f"Kafka refused this client: {why}") from error
            retriable = isinstance(error, TimeoutError) or error.retriable
            if not retriable or time.monotonic() > deadline:
                raise
            log.warning("topics_not_ensured_yet", error=type(error).__name__)
            await asyncio.sleep(0.5)


async def _create_missing(kafka: KafkaSettings) -> None:
    admin = AIOKafkaAdminClient(**client_options(kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in owned_topics(kafka) if t.name not in existing]
        if missing:
            response = await admin.create_topics(missing)
            # The client returns each topic's error instead of raising it.
            for topic, code, *_ in response.topic_errors:
                # Another process may win the race; the topic is then what we asked for.
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise for_code(code)(f"creating topic {topic}")
    finally:
        await admin.close()


async def topic_partitions(admin: AIOKafkaAdminClient, topic: str) -> list[int]:
    """The partition numbers of ``topic``, from the broker's metadata ([] when it is missing)."""
    (description,) = await admin.describe_topics([topic])
    return sorted(p["partition"] for p in description.get("partitions", []))
