"""Long-lived resources of the API process, reached through typed app keys and opened and
closed by ``cleanup_ctx``: the settings, a Redis pool, the Kafka producer, the key directory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaProducer

from learning_record.api.consistency import ConsistencyClock
from learning_record.api.failed_auth import FailedAuthLimiter
from learning_record.api.kafka_logs import (
    KafkaAttachmentLog,
    KafkaDocumentLog,
    KafkaErasureLog,
    KafkaStatementLog,
)
from learning_record.api.key_directory import KeyDirectory, KeyLookup
from learning_record.ops.consumer_lag import LagReader
from learning_record.ops.monitor import OpsMonitor, stop_task
from learning_record.platform.kafka_access import client_options
from learning_record.platform.process import metrics_url
from learning_record.platform.settings import ApiSettings, Settings
from learning_record.platform.topics import MAX_RECORD_BYTES, ensure_topics
from learning_record.services.documents import DocumentStore
from learning_record.services.erasure import LearnerErasure
from learning_record.services.ingest import StatementIntake
from learning_record.store.connection import RedisClient, open_redis
from learning_record.store.learner_keys import LearnerKeys
from learning_record.store.rate_limits import RateLimiter

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey[RedisClient]("redis")
PRODUCER = web.AppKey("producer", AIOKafkaProducer)
KEY_DIRECTORY = web.AppKey("key_directory", KeyLookup)
CONSISTENCY = web.AppKey("consistency", ConsistencyClock)
INDICATOR_CONSISTENCY = web.AppKey("indicator_consistency", ConsistencyClock)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
OPS = web.AppKey("ops", OpsMonitor)
INTAKE = web.AppKey("statement_intake", StatementIntake)
LEARNER_KEYS = web.AppKey("learner_keys", LearnerKeys)
ERASURE = web.AppKey("erasure", LearnerErasure)
FAILED_AUTH = web.AppKey("failed_auth", FailedAuthLimiter)
DOCUMENTS = web.AppKey("documents", DocumentStore)

# A document's write lease outlives the Kafka deadline by this much (services.documents).
_LEASE_MARGIN_S = 5.0


async def redis_pool(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS].redis
    redis = open_redis(settings, deadline_s=settings.timeout_s)
    app[REDIS] = redis
    app[RATE_LIMITER] = RateLimiter(redis)
    app[FAILED_AUTH] = FailedAuthLimiter(app[RATE_LIMITER], app[SETTINGS].api.failed_auth_per_s)
    yield
    await redis.aclose()


async def kafka_producer(app: web.Application) -> AsyncIterator[None]:
    kafka = app[SETTINGS].kafka
    await ensure_topics(kafka)
    # Idempotent with acks=all: an acknowledged batch is on every in-sync replica exactly once.
    producer = AIOKafkaProducer(
        **client_options(kafka),
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        max_request_size=MAX_RECORD_BYTES,
        request_timeout_ms=int(kafka.producer_request_timeout_s * 1000),
    )
    await producer.start()
    app[PRODUCER] = producer
    yield
    await producer.stop()


async def learner_keys(app: web.Application) -> AsyncIterator[None]:
    """Learners' data keys, which seal what the API writes to the statements topic."""
    keys = LearnerKeys(app[SETTINGS])
    await keys.start()
    app[LEARNER_KEYS] = keys
    yield
    await keys.stop()


async def statement_intake(app: web.Application) -> AsyncIterator[None]:
    """Accepting statements, over the Redis pool, the Kafka producer and the learners' keys
    opened before it."""
    settings, producer = app[SETTINGS], app[PRODUCER]
    app[INTAKE] = StatementIntake(
        app[REDIS],
        KafkaStatementLog.of(producer, app[LEARNER_KEYS], settings),
        KafkaAttachmentLog(
            producer, settings.kafka.attachments_topic, settings.kafka.write_deadline_s
        ),
        app[LEARNER_KEYS].pseudonymiser,
    )
    yield


async def learner_erasure(app: web.Application) -> AsyncIterator[None]:
    """Asking for erasures, over Redis, the Kafka producer and the learners' keys."""
    kafka = app[SETTINGS].kafka
    log = KafkaErasureLog(app[PRODUCER], kafka.erasures_topic, kafka.write_deadline_s)
    app[ERASURE] = LearnerErasure(app[REDIS], log, app[LEARNER_KEYS])
    yield


async def document_store(app: web.Application) -> AsyncIterator[None]:
    """Storing documents, over the Redis pool and the Kafka producer opened before it."""
    settings = app[SETTINGS]
    deadline_s = settings.kafka.write_deadline_s
    app[DOCUMENTS] = DocumentStore(
        app[REDIS],
        KafkaDocumentLog(app[PRODUCER], settings.kafka.documents_topic, deadline_s),
        lease_ms=round((deadline_s + _LEASE_MARGIN_S) * 1000),
        max_per_context=settings.api.max_documents_per_context,
    )
    yield


async def key_directory(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    directory = KeyDirectory(settings.kafka, app[REDIS])
    await directory.start()
    app[KEY_DIRECTORY] = directory
    yield
    await directory.stop()


async def consistency_clocks(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    kafka = settings.kafka
    # The worker's consumer group is its Faust app id. The statement view waits for the
    # statements topics only; the indicators for the topics that carry what statements count.
    # A raw record's statements are stored at the raw record's timestamp: until they are
    # converted, the raw topic holds them back too.
    inputs = [kafka.statements_topic, kafka.raw_statements_topic, kafka.direct_statements_topic]
    view_reader = LagReader(kafka, settings.worker.app_id, inputs)
    indicator_reader = LagReader(
        kafka,
        settings.worker.app_id,
        [*inputs, kafka.learner_ops_topic, kafka.activity_ops_topic],
    )
    await view_reader.start()
    await indicator_reader.start()
    app[CONSISTENCY] = ConsistencyClock(view_reader)
    app[INDICATOR_CONSISTENCY] = ConsistencyClock(indicator_reader)
    yield
    await app[CONSISTENCY].close()
    await app[INDICATOR_CONSISTENCY].close()
    await indicator_reader.stop()
    await view_reader.stop()


async def ops_monitor(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # Every topic the worker's group reads, found from its offsets and assignments, with owners.
    reader = LagReader(
        settings.kafka,
        settings.worker.app_id,
        [settings.kafka.statements_topic],
        discover=True,
        cache_s=settings.ops.lag_cache_s,
    )
    await reader.start()
    async with aiohttp.ClientSession() as http:
        monitor = OpsMonitor(settings, app[REDIS], reader, http, own_metrics_url(settings.api))
        app[OPS] = monitor
        beating = asyncio.create_task(monitor.beat_forever())
        yield
        await stop_task(beating)
    await reader.stop()


def own_metrics_url(api: ApiSettings) -> str:
    """Where other API processes read this one's ``/metrics`` (``api.server`` serves it)."""
    if api.metrics_port:
        return metrics_url(api.metrics_host, api.metrics_port)
    return metrics_url(api.host, api.port, tls=api.tls_cert is not None and api.tls_key is not None)
