"""All configuration, read once from the environment (prefix ``LR_``, nested with ``__``).

Every field has a default that works for ``make run``; ``.env.example`` documents each one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from learning_domain.plans import DEFAULT_PLANS, UsagePlan


class KafkaSettings(BaseModel):
    """How clients reach the broker, and the topics they share."""

    bootstrap_servers: str = "127.0.0.1:19092"
    topic_prefix: str = Field(
        default="lr", description="Prefix of every topic, so several stacks can share a broker."
    )
    partitions: int = Field(default=4, ge=1, description="Partitions of the topics we create.")
    record_retention_ms: int = Field(
        default=-1,
        description="retention.ms of the system-of-record topics (statements, keys); -1 keeps "
        "them forever, because Kafka's 7-day default would silently delete learners' records.",
    )

    @property
    def statements_topic(self) -> str:
        return f"{self.topic_prefix}.statements"

    @property
    def learner_events_topic(self) -> str:
        return f"{self.topic_prefix}.learner-events"

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.topic_prefix}.statements.dlq"

    @property
    def keys_topic(self) -> str:
        return f"{self.topic_prefix}.keys"

    @property
    def attachments_topic(self) -> str:
        return f"{self.topic_prefix}.attachments"


class RedisSettings(BaseModel):
    url: str = "redis://127.0.0.1:16379/0"


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)


class WorkerSettings(BaseModel):
    app_id: str = Field(default="lr-worker", description="Faust app id: the consumer group.")
    table_store: str = Field(
        default="memory://",
        description="Faust table store; memory:// rebuilds tables from their changelog at start.",
    )
    batch_size: int = Field(default=500, ge=1)
    batch_within_s: float = Field(default=0.05, gt=0)
    broker_session_timeout_s: float = Field(default=30.0, gt=0)
    broker_heartbeat_interval_s: float = Field(default=3.0, gt=0)


class StackSettings(BaseModel):
    """What ``lr dev`` and ``lr stack`` start on this machine.

    The ports are not Kafka's and Redis's usual ones, so that a system Redis or broker already
    listening there (Debian starts redis-server on 6379 when it installs it) is never in the way.
    """

    data_dir: Path = Path(".lr-data")
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    kafka_heap: str = "512m"
    kafka_libs: Path = Field(
        default=Path(".cache/kafka/libs"), description="Broker jars resolved by `make kafka`."
    )
    redis_port: int = 16379
    redis_persistence: bool = Field(default=True, description="AOF persistence for Redis.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LR_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    kafka: KafkaSettings = KafkaSettings()
    redis: RedisSettings = RedisSettings()
    api: ApiSettings = ApiSettings()
    worker: WorkerSettings = WorkerSettings()
    stack: StackSettings = StackSettings()
    default_tenant: str = Field(
        default="default",
        description="Tenant of statements produced straight to Kafka without an lr-tenant header.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    plans: dict[str, UsagePlan] = Field(
        default_factory=lambda: dict(DEFAULT_PLANS),
        description="Usage plans by name; keys on the custom plan carry their own limits.",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
