"""Doubles for what the component tests do not run: Kafka (the statement and attachment logs,
the keys topic, consumer lag, the worker's output topics and table changelogs). Redis is always
the real one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from learning_record.domain.access import ApiKeyRecord, IssuedKey, Scope, mint_key
from learning_record.domain.errors import DependencyUnavailable
from learning_record.domain.indicators.operations import IndicatorOp, decode_operations
from learning_record.domain.ingest import DLQ_REASON_HEADER
from learning_record.ops.consumer_lag import GroupLag
from learning_record.platform.clock import now_ms
from learning_record.store.attachments import AttachmentContent
from learning_record.stream import changelog, topics
from learning_record.stream.partitioning import KeyPartitionedTable

LEARNER_OPS = topics.learner_ops_topic.get_topic_name()
ACTIVITY_OPS = topics.activity_ops_topic.get_topic_name()
DEAD_LETTERS = topics.dead_letter_topic.get_topic_name()


@dataclass
class RecordingLog:
    """The statements topic: what was appended, decoded; ``failing`` plays a broker that is down."""

    batches: list[tuple[str, list[dict[str, Any]], bytes]] = field(default_factory=list)
    failing: bool = False

    async def append(
        self, tenant: str, documents: Sequence[Mapping[str, Any]], key: bytes, defines: bool
    ) -> None:
        if self.failing:
            raise DependencyUnavailable("kafka", "the broker is down")  # as the adapter does
        self.batches.append((tenant, orjson.loads(orjson.dumps(documents)), key))


@dataclass
class RecordingAttachments:
    appended: list[tuple[str, list[str]]] = field(default_factory=list)

    async def append(self, tenant: str, contents: Mapping[str, AttachmentContent]) -> None:
        self.appended.append((tenant, sorted(contents)))


@dataclass
class StaticKeys:
    """The keys topic as a dict: ``issue`` mints a key the API then knows."""

    records: dict[str, ApiKeyRecord] = field(default_factory=dict)

    def issue(
        self, tenant: str = "acme", scopes: tuple[Scope, ...] = (Scope.ALL,), plan: str = "custom"
    ) -> IssuedKey:
        issued = mint_key(tenant=tenant, name="component", scopes=scopes, plan=plan)
        self.records[issued.record.key_id] = issued.record
        return issued

    async def lookup(self, key_id: str) -> ApiKeyRecord | None:
        return self.records.get(key_id)


class CaughtUp:
    """A consumer group with nothing left to read."""

    group_id = "component"

    async def read(self) -> GroupLag:
        return GroupLag(self.group_id, "Stable", (), now_ms())

    async def end_offsets(self, topic: str) -> dict[int, int]:
        return {}


@dataclass
class RecordingTopics:
    """The topics the worker's agents send to, under ``agent.test_context()``: every record
    sent, by topic."""

    sent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for topic in (
            topics.learner_ops_topic,
            topics.activity_ops_topic,
            topics.dead_letter_topic,
        ):
            monkeypatch.setattr(topic, "send", self._recorder(topic.get_topic_name()))

    def _recorder(self, name: str) -> Callable[..., Awaitable[None]]:
        async def send(**record: Any) -> None:
            self.sent.setdefault(name, []).append(record)

        return send

    def operations(self, topic: str) -> list[tuple[int, IndicatorOp]]:
        """The operations sent to ``topic``, each with its partition."""
        return [
            (record["partition"], operation)
            for record in self.sent.get(topic, [])
            for operation in decode_operations(record["value"])
        ]

    def dead_letters(self) -> list[tuple[bytes, str]]:
        """Each dead letter's value and reason."""
        return [
            (record["value"], record["headers"][DLQ_REASON_HEADER].decode())
            for record in self.sent.get(DEAD_LETTERS, [])
        ]

    async def operations_sent(self) -> int:
        """How many operations went to the learners' side (where every operation goes)."""
        return len(self.operations(LEARNER_OPS))


@dataclass
class TableOnlyChangelog:
    """``stream.changelog.write`` without Kafka: a batch's values go into the table's store
    (``memory://``) only; ``forget`` takes them out again, since the tables live as long as the
    test session."""

    written: list[tuple[KeyPartitionedTable, bytes]] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(changelog, "write", self.write)

    async def write(
        self, table: KeyPartitionedTable, entries: Sequence[tuple[bytes, bytes]]
    ) -> None:
        for key, value in entries:
            table.data[key] = value
            self.written.append((table, key))

    def forget(self) -> None:
        for table, key in self.written:
            table.data.pop(key, None)
