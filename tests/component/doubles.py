"""Doubles for what the component tests do not run: Kafka (the statement and attachment logs,
the keys topic, consumer lag). Redis is always the real one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from learning_record.domain.access import ApiKeyRecord, IssuedKey, Scope, mint_key
from learning_record.domain.errors import DependencyUnavailable
from learning_record.ops.consumer_lag import GroupLag
from learning_record.platform.clock import now_ms
from learning_record.store.attachments import AttachmentContent


@dataclass
class RecordingLog:
    """The statements topic: what was appended, decoded; ``failing`` plays a broker that is down."""

    batches: list[tuple[str, list[dict[str, Any]], bytes]] = field(default_factory=list)
    failing: bool = False

    async def append(self, tenant: str, batch: bytes, key: bytes, defines: bool) -> None:
        if self.failing:
            raise DependencyUnavailable("kafka", "the broker is down")  # as the adapter does
        self.batches.append((tenant, orjson.loads(batch), key))


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
