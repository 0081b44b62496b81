"""The Faust app, created once from settings. ``lr worker`` and the tests import this object."""

from __future__ import annotations

import faust
from faust.types.auth import CredentialsT

from learning_record.platform.kafka_access import tls_context
from learning_record.platform.settings import KafkaSettings, get_settings
from learning_record.platform.topics import MAX_RECORD_BYTES

settings = get_settings()


def _broker_url(bootstrap_servers: str) -> str:
    return ";".join(f"kafka://{server.strip()}" for server in bootstrap_servers.split(","))


def _credentials(kafka: KafkaSettings) -> CredentialsT | None:
    """Faust's form of ``kafka_access.client_options``: the same TLS context and SASL login."""
    context = tls_context(kafka)
    if kafka.sasl_password is not None and kafka.security_protocol.startswith("SASL_"):
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value(),
            ssl_context=context,
            mechanism=kafka.sasl_mechanism,
        )
    return None if context is None else faust.SSLCredentials(context)


app = faust.App(
    settings.worker.app_id,
    broker=_broker_url(settings.kafka.bootstrap_servers),
    broker_credentials=_credentials(settings.kafka),
    store=settings.worker.table_store,
    datadir=str(settings.worker.data_dir / "{conf.name}"),
    autodiscover=False,
    topic_partitions=settings.kafka.partitions,
    topic_replication_factor=settings.kafka.replication_factor,
    broker_commit_interval=settings.worker.commit_interval_s,
    broker_commit_every=settings.worker.commit_every_records,
    broker_session_timeout=settings.worker.broker_session_timeout_s,
    broker_heartbeat_interval=settings.worker.broker_heartbeat_interval_s,
    consumer_auto_offset_reset="earliest",
    producer_acks=-1,
    web_enabled=False,
    producer_max_request_size=MAX_RECORD_BYTES,
)
