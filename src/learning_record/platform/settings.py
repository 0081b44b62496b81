"""All configuration, read once from the environment (prefix ``LR_``, nested with ``__``).

Every field has a default that works for ``make run``; ``.env.example`` documents each one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from learning_record.platform.plans import DEFAULT_PLANS, UsagePlan


class KafkaSettings(BaseModel):
    """How clients reach the broker, and the topics they share."""

    bootstrap_servers: str = "127.0.0.1:19092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How every client (API, worker, lr commands) speaks to the brokers; managed "
        "Kafka services ask for SASL_SSL.",
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    tls_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CAs that signed the brokers' certificates (SSL, SASL_SSL); "
        "unset: the system's trusted CAs.",
    )

    @model_validator(mode="after")
    def _sasl_has_credentials(self) -> KafkaSettings:
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and (self.sasl_username is None or self.sasl_password is None):
            raise ValueError(f"{self.security_protocol} needs sasl_username and sasl_password")
        return self

    topic_prefix: str = Field(
        default="lr", description="Prefix of every topic, so several stacks can share a broker."
    )
    partitions: int = Field(default=4, ge=1, description="Partitions of the topics we create.")
    replication_factor: int = Field(
        default=1,
        ge=1,
        description="Replicas of every topic we own, Faust's changelogs included (3 on a "
        "cluster: `lr dev --cluster`).",
    )
    min_insync_replicas: int = Field(
        default=1,
        ge=1,
        description="min.insync.replicas of every topic we own: with acks=all, a write is "
        "acknowledged once this many replicas have it (2 of 3 on a cluster).",
    )

    @model_validator(mode="after")
    def _replicas_fit(self) -> KafkaSettings:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"min_insync_replicas ({self.min_insync_replicas}) exceeds replication_factor "
                f"({self.replication_factor}): no write could ever be acknowledged"
            )
        return self

    record_retention_ms: int = Field(
        default=-1,
        description="retention.ms of the system-of-record topics (statements, keys); -1 keeps "
        "them forever, because Kafka's 7-day default would silently delete learners' records.",
    )

    @property
    def statements_topic(self) -> str:
        return f"{self.topic_prefix}.statements"

    write_deadline_s: float = Field(
        default=10.0,
        gt=0,
        description="How long the API waits for Kafka to acknowledge a write before answering "
        "503 with Retry-After.",
    )
    producer_request_timeout_s: float = Field(
        default=40.0,
        gt=0,
        description="How long the API's producer waits for the broker to answer one request "
        "before it retries it (aiokafka's request_timeout_ms): a record abandoned at "
        "write_deadline_s is still retried, and may be stored once the broker is back.",
    )
    operations_retention_ms: int = Field(
        default=30 * 86_400_000,
        description="retention.ms of the worker's operation topics (learner-ops, "
        "activity-ops): how long the indicator agents may stay down without losing work.",
    )

    @property
    def learner_ops_topic(self) -> str:
        return f"{self.topic_prefix}.learner-ops"

    @property
    def activity_ops_topic(self) -> str:
        return f"{self.topic_prefix}.activity-ops"

    raw_retention_ms: int = Field(
        default=7 * 86_400_000,
        description="retention.ms of the raw input topic (statements.raw): its records carry "
        "personal data not pseudonymised yet, and are kept only until the worker has converted "
        "them (7 days); the converted statements are on the statements topic.",
    )

    @property
    def raw_statements_topic(self) -> str:
        return f"{self.topic_prefix}.statements.raw"

    @property
    def direct_statements_topic(self) -> str:
        """Where producers other than the API write xAPI statements in clear; the worker seals
        them onto the statements topic. Kept ``raw_retention_ms``, as the raw topic."""
        return f"{self.topic_prefix}.statements.in"

    data_key_erasure_ms: int = Field(
        default=86_400_000,
        ge=1000,
        description="Bound on how long an erased learner's data key stays on the brokers' disks "
        "after its tombstone: segment.ms and max.compaction.lag.ms of the learner-keys topic, "
        "and delete.retention.ms of its tombstones (docs/privacy.md: about twice this, plus the "
        "cleaner's backoff).",
    )

    @property
    def learner_keys_topic(self) -> str:
        return f"{self.topic_prefix}.learner-keys"

    @property
    def erasures_topic(self) -> str:
        """Erasure requests and their completion: the audit trail of erasures, kept forever."""
        return f"{self.topic_prefix}.erasures"

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.topic_prefix}.statements.dlq"

    @property
    def keys_topic(self) -> str:
        return f"{self.topic_prefix}.keys"

    @property
    def attachments_topic(self) -> str:
        return f"{self.topic_prefix}.attachments"

    @property
    def documents_topic(self) -> str:
        return f"{self.topic_prefix}.documents"


class RedisSettings(BaseModel):
    url: str = Field(
        default="redis://127.0.0.1:16379/0",
        description="A single Redis (unused with cluster_nodes).",
    )
    cluster_nodes: list[str] = Field(
        default_factory=list,
        description='Redis Cluster nodes to start from, as "host:port" (a few are enough: the '
        "client learns the others); when set, the cluster client replaces url.",
    )
    username: str | None = Field(
        default=None, description="ACL user of the cluster's nodes (a single Redis: in url)."
    )
    password: SecretStr | None = Field(
        default=None, description="Password of the cluster's nodes (a single Redis: in url)."
    )
    tls: bool = Field(
        default=False, description="TLS to the cluster's nodes (a single Redis: rediss:// url)."
    )
    tls_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the certificate authorities that the cluster's nodes are "
        "checked against; unset: the system's.",
    )
    timeout_s: float = Field(
        default=2.0,
        gt=0,
        description="The API's deadline for connecting to Redis and for each command: past it, "
        "a 503 instead of a wait.",
    )
    max_connections: int = Field(
        default=256,
        ge=1,
        description="Redis connections of one process (API, worker, lr command); more calls at "
        "once wait for one (the API up to timeout_s); on a cluster, connections to each node, "
        "and a call past them fails at once (the API answers 503).",
    )
    statement_retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Days a statement stays in the Redis view after it was stored; None keeps "
        "them all. Kafka keeps every statement either way (lr replay rebuilds the view).",
    )

    @field_validator("cluster_nodes")
    @classmethod
    def _host_and_port(cls, nodes: list[str]) -> list[str]:
        for node in nodes:
            host, _, port = node.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f'a cluster node is "host:port", not {node!r}')
        return nodes


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    metrics_host: str = Field(
        default="127.0.0.1", description="Interface of /metrics when it has a port of its own."
    )
    metrics_port: int = Field(
        default=0, ge=0, description="A separate port for /metrics; 0 serves it on the API port."
    )
    reuse_port: bool = Field(
        default=False,
        description="Share the port with other API processes (SO_REUSEPORT): the kernel spreads "
        "connections among them. Each needs a metrics_port of its own, so that the ops summary "
        "reaches every one.",
    )

    @model_validator(mode="after")
    def _metrics_apart_when_shared(self) -> ApiSettings:
        if self.reuse_port and self.metrics_port == 0:
            raise ValueError(
                "reuse_port needs a metrics_port of its own for each API process: on the shared "
                "port, /metrics would answer for whichever process took the connection"
            )
        return self

    tls_cert: Path | None = Field(
        default=None, description="PEM certificate (chain) file: with tls_key, serve HTTPS."
    )
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_cert.")
    http_redirect_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="With TLS on, a plain-HTTP port that answers 308 to the HTTPS URL.",
    )
    public_url: AnyHttpUrl | None = Field(
        default=None,
        description="The URL clients reach the API at (behind a proxy or a DNS name): the "
        "HTTPS redirect goes there. Unset: the API's own host and port.",
    )
    max_documents_per_context: int = Field(
        default=1000,
        ge=1,
        description="The most documents one State context (Activity and Agent), Activity or "
        "Agent holds; a new one past it is a 409. Bounds a listing and a State DELETE.",
    )
    max_statements_per_request: int = Field(
        default=1000,
        ge=1,
        description="The most statements one POST may carry; more is a 413 (send several).",
    )
    failed_auth_per_s: int = Field(
        default=10,
        ge=1,
        description="Failed authentications one client address may make per second; past it, "
        "429 until the second ends, whatever the credentials.",
    )
    unauthenticated_form_max_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="The largest alternate-syntax form read to find credentials in it; a larger "
        "one needs them in a header (read before the body).",
    )
    check_responses: bool = Field(
        default=False,
        description="Check every JSON answer against the model its operation documents "
        "(a 500 when it breaks it): on in the test suite, off in production.",
    )

    @model_validator(mode="after")
    def _tls_needs_certificate_and_key(self) -> ApiSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("api.tls_cert and api.tls_key go together")
        if self.http_redirect_port is not None and self.tls_cert is None:
            raise ValueError("api.http_redirect_port redirects to HTTPS: it needs TLS on")
        return self


class CorsSettings(BaseModel):
    """Origins whose browser pages may call the API (H5P, e-learning packages)."""

    default_origins: list[str] = Field(
        default_factory=list,
        description='Origins every tenant allows, e.g. ["https://lms.example.org"]; "*" is any.',
    )
    origins: dict[str, list[str]] = Field(
        default_factory=dict, description="Origins by tenant, added to default_origins."
    )
    max_age_s: int = Field(default=600, ge=0, description="How long browsers keep a preflight.")


class WorkerSettings(BaseModel):
    app_id: str = Field(default="lr-worker", description="Faust app id: the consumer group.")
    data_dir: Path = Field(
        default=Path(".lr-data/worker"),
        description="Where the worker keeps local files (Faust's data directory per app id).",
    )
    table_store: str = Field(
        default="memory://",
        description="Faust table store; memory:// rebuilds tables from their changelog at start.",
    )
    batch_size: int = Field(default=500, ge=1)
    batch_within_s: float = Field(default=0.01, gt=0)
    minute_bucket_retention_s: int = Field(
        default=26 * 3600,
        ge=3600,
        description="How long minute buckets (1h and 24h windows) are kept, judged on the newest "
        "stored time they saw.",
    )
    hour_bucket_retention_s: int = Field(
        default=32 * 86400,
        ge=86400,
        description="How long hour buckets (7d and 30d windows) are kept, likewise.",
    )
    rewind_stalled_after_s: float = Field(
        default=15.0,
        gt=0,
        description="A partition whose committed offset stood still this long while the broker "
        "holds records past it is fetched again from that offset (stream/stall_rewind.py).",
    )
    commit_interval_s: float = Field(
        default=2.8,
        gt=0,
        description="How often the worker commits the offsets it has processed. After a crash, "
        "what came since the last commit is read again by whoever takes the partitions, and "
        "skipped where the tables say it was counted: a longer interval is fewer commits and "
        "more to read again.",
    )
    commit_every_records: int = Field(
        default=10_000, ge=1, description="Commit sooner once this many records were processed."
    )
    broker_session_timeout_s: float = Field(default=30.0, gt=0)
    broker_heartbeat_interval_s: float = Field(default=3.0, gt=0)
    metrics_host: str = Field(
        default="127.0.0.1", description="Interface of the worker's /metrics."
    )
    metrics_port: int = Field(
        default=9250,
        ge=0,
        description="First port tried for the worker's /metrics; the next free one of the 16 from "
        "there is taken, so several workers share a machine. 0 disables it.",
    )

    @model_validator(mode="after")
    def _rewinds_only_what_commits_left_behind(self) -> WorkerSettings:
        if self.rewind_stalled_after_s <= self.commit_interval_s:
            raise ValueError(
                "rewind_stalled_after_s must exceed commit_interval_s: between two commits an "
                "offset stands still without being stalled"
            )
        return self


class IngestSettings(BaseModel):
    """What the API and the worker share about accepted statements."""

    signing_key: SecretStr = Field(
        default=SecretStr("lr-dev-signing-key-change-me"),
        description="HMAC key with which the API signs the records it writes, so that the worker "
        "does not validate them again; anything unsigned is validated in full. Set a secret of "
        "your own in production: whoever knows it can skip the worker's validation.",
    )
    max_direct_record_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="Largest record produced straight to the statements topic that the worker "
        "validates; larger ones go to the dead-letter topic. Bounds the work one record causes.",
    )


class ProcessSettings(BaseModel):
    """POST /process: converting and pseudonymising traces (docs/process.md)."""

    pseudonym_key: SecretStr = Field(
        default=SecretStr("lr-dev-pseudonym-key-change-me"),
        description="Secret from which each tenant's pseudonymisation key is derived (HMAC of "
        "the tenant name): the same learner gets the same pseudonym in every request of a "
        "tenant, and the same learner id (the name of their data keys, indicators and "
        "statement indexes: docs/privacy.md). Set one of your own in production, keep it "
        "secret and keep it: changing it changes every pseudonym and learner id.",
    )
    max_batch_items: int = Field(
        default=1000, ge=1, description="The most items one POST /process/batch may carry."
    )
    tenant_privacy: dict[str, Literal["pseudonymise", "anonymise"]] = Field(
        default_factory=dict,
        description="The privacy mode of each tenant whose requests and raw records do not say "
        "one (JSON); unlisted tenants are pseudonymised.",
    )
    mappings_dir: Path = Field(
        default=Path("mappings"),
        description="Folder of the custom-record mappings of the raw stream: a record whose "
        "lr-mapping header says <name> is read through <name>.yaml there, as the file stands "
        "when the record is processed.",
    )


class MasterKey(BaseModel):
    """A master key: learners' data keys are wrapped by a key derived from it per tenant."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    secret: SecretStr


class PrivacySettings(BaseModel):
    """Sealing the statement log with learners' data keys (docs/privacy.md)."""

    master_keys: list[MasterKey] = Field(
        default_factory=lambda: [
            MasterKey(id="dev", secret=SecretStr("lr-dev-master-key-change-me"))
        ],
        min_length=1,
        description="JSON list of {id, secret}: the first wraps new data keys, every one "
        "unwraps the keys it wrapped. To rotate, put a new key first, run `lr privacy rewrap`, "
        "then drop the old one. Losing every master key loses every statement: keep them as "
        "you keep backups.",
    )

    @model_validator(mode="after")
    def _ids_distinct(self) -> PrivacySettings:
        ids = [key.id for key in self.master_keys]
        if len(set(ids)) != len(ids):
            raise ValueError("master key ids must be distinct")
        return self


class OpsSettings(BaseModel):
    """Worker heartbeats, readiness and the consumer lag readings."""

    heartbeat_interval_s: float = Field(
        default=2.0,
        gt=0,
        description="How often each worker and each API process writes its heartbeat to Redis.",
    )
    heartbeat_timeout_s: float = Field(
        default=10.0, gt=0, description="A heartbeat older than this is stale: not ready."
    )
    stall_after_s: float = Field(
        default=30.0,
        gt=0,
        description="A partition with records waiting whose committed offset stood still this "
        "long is stalled: not ready.",
    )
    lag_cache_s: float = Field(default=1.0, ge=0, description="How long a lag reading is reused.")


class KafkaNodePorts(BaseModel):
    """The listener and controller ports of one node of a local Kafka cluster."""

    port: int
    controller_port: int


class RedisNodePorts(BaseModel):
    """The client and cluster-bus ports of one node of a local Redis Cluster."""

    port: int
    bus_port: int


class StackSettings(BaseModel):
    """What ``lr dev`` and ``lr stack`` start on this machine.

    The ports are not Kafka's and Redis's usual ones, so that a system Redis or broker already
    listening there (Debian starts redis-server on 6379 when it installs it) is never in the way.
    """

    data_dir: Path = Path(".lr-data")
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    kafka_heap: str = "512m"
    kafka_extra_nodes: list[KafkaNodePorts] = Field(
        default_factory=list,
        description="Further Kafka nodes (broker and controller each) beside the first, for a "
        "local cluster; `lr dev --cluster` starts two, on the ports after the first node's.",
    )
    kafka_libs: Path = Field(
        default=Path(".cache/kafka/libs"), description="Broker jars resolved by `make kafka`."
    )
    redis_port: int = 16379
    redis_persistence: bool = Field(default=True, description="AOF persistence for Redis.")
    redis_cluster_nodes: list[RedisNodePorts] = Field(
        default_factory=list,
        description="Nodes of a local Redis Cluster, started in place of the single Redis: the "
        "first half masters, the rest their replicas; `lr dev --cluster` starts six, on the "
        "ports after redis_port.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LR_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    kafka: KafkaSettings = KafkaSettings()
    redis: RedisSettings = RedisSettings()
    api: ApiSettings = ApiSettings()
    worker: WorkerSettings = WorkerSettings()
    stack: StackSettings = StackSettings()
    ops: OpsSettings = OpsSettings()
    ingest: IngestSettings = IngestSettings()
    process: ProcessSettings = ProcessSettings()
    privacy: PrivacySettings = PrivacySettings()
    cors: CorsSettings = CorsSettings()
    default_tenant: str = Field(
        default="default",
        description="Tenant of statements produced straight to Kafka without an lr-tenant header.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: key=value lines; json: one JSON object per line, for log collectors.",
    )
    plans: dict[str, UsagePlan] = Field(
        default_factory=lambda: dict(DEFAULT_PLANS),
        description="Usage plans by name; keys on the custom plan carry their own limits.",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
