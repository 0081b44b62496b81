"""Consumer lag read from the broker, not from the worker's own view, so that a dead or stuck
worker shows up as lag that grows.

For the app's consumer group (the Faust app id) and every topic-partition it reads: the
committed and log-end offsets, the lag in messages, the lag in seconds (the age of the oldest
unprocessed record, from its timestamp) and the group member that owns the partition. The topics
are the statements topic, every topic the group has committed offsets on, and every topic its
members are assigned, less Faust's own bookkeeping topics (table changelogs and the assignor's
leader topic), which the group reads without committing. A reader made with
``discover=False`` reads exactly the topics it is given, without owners (the consistency
clocks do).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.errors import GroupCoordinatorNotAvailableError

from learning_record.platform.clock import now_ms
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import KafkaSettings
from learning_record.platform.topics import topic_partitions

# Longest wait for the record at a committed offset, to read its timestamp.
_TIMESTAMP_WAIT_MS = 1000


@dataclass(frozen=True, slots=True)
class Owner:
    """A member of the consumer group, as the group coordinator describes it."""

    member_id: str
    client_id: str
    host: str


@dataclass(frozen=True, slots=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int  # next offset the group will read; 0 when it never committed
    log_end: int
    oldest_unprocessed_ms: int | None  # timestamp of the record at ``committed``, if behind
    owner: Owner | None = None

    @property
    def messages(self) -> int:
        return max(self.log_end - self.committed, 0)

    def seconds(self, now_ms: int) -> float:
        if self.oldest_unprocessed_ms is None:
            return 0.0
        return max(now_ms - self.oldest_unprocessed_ms, 0) / 1000


@dataclass(frozen=True, slots=True)
class GroupLag:
    """One reading of a consumer group's lag, taken at ``read_at_ms``."""

    group: str
    state: str  # the coordinator's: Stable, Empty, PreparingRebalance, … or Unknown
    partitions: tuple[PartitionLag, ...]
    read_at_ms: int

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self.partitions)

    @property
    def seconds(self) -> float:
        """The worst partition's lag in seconds."""
        return max((p.seconds(self.read_at_ms) for p in self.partitions), default=0.0)


def is_bookkeeping_topic(topic: str) -> bool:
    """Faust's table changelogs and assignor topic: assigned to members, never committed."""
    return topic.endswith("-changelog") or topic.endswith("__assignor-__leader")


async def group_owners(
    admin: AIOKafkaAdminClient, group_id: str
) -> tuple[str, dict[TopicPartition, Owner]]:
    """The group's state and the owner of each assigned partition, in one request."""
    try:
        (description,) = await admin.describe_consumer_groups([group_id])
    except GroupCoordinatorNotAvailableError:
        return "Unknown", {}  # no coordinator yet: the group never existed
    return decode_owners(description)


async def committed_offsets(admin: AIOKafkaAdminClient, group_id: str) -> dict[TopicPartition, int]:
    """The group's committed offset of every partition it committed on, in one request."""
    try:
        offsets = await admin.list_consumer_group_offsets(group_id)
    except GroupCoordinatorNotAvailableError:
        return {}  # nothing was ever committed
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


def decode_owners(description: object) -> tuple[str, dict[TopicPartition, Owner]]:
    """The group state and the owner of each assigned partition, from a DescribeGroups reply."""
    (group,) = description.groups  # type: ignore[attr-defined]
    _error, _name, state, _protocol_type, _protocol, members = group[:6]
    owners: dict[TopicPartition, Owner] = {}
    for member in members:
        member_id, client_id, host, _metadata, assignment = member[:5]
        if not assignment:
            continue  # joined, not assigned yet
        owner = Owner(member_id, client_id, host.lstrip("/"))
        for tp in ConsumerProtocolMemberAssignment.decode(assignment).partitions():
            owners[TopicPartition(tp.topic, tp.partition)] = owner
    return str(state), owners


class LagSource(Protocol):
    """Where lag readings come from: a ``LagReader`` on the broker, or a test's double."""

    @property
    def group_id(self) -> str: ...

    async def read(self) -> GroupLag: ...

    async def end_offsets(self, topic: str) -> dict[int, int]: ...


class LagReader:
    """Reads one consumer group's lag with a client pair that lives as long as the reader.

    Readings are cached for ``cache_s``, so that any number of pollers (API requests, the
    readiness probe, the metrics scrape) cost the broker one round of requests per period."""

    def __init__(
        self,
        kafka: KafkaSettings,
        group_id: str,
        topics: Iterable[str],
        *,
        discover: bool = False,
        cache_s: float = 1.0,
    ) -> None:
        self.group_id = group_id
        self._topics = set(topics)
        self._discover = discover
        self._cache_s = cache_s
        self._partitions: dict[str, list[int]] = {}
        self._lock = asyncio.Lock()
        self._last: GroupLag | None = None
        self._last_at = 0.0
        self._admin = AIOKafkaAdminClient(**client_options(kafka))
        self._consumer = AIOKafkaConsumer(
            **client_options(kafka),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a committed offset already deleted: read from start
        )

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def read(self) -> GroupLag:
        async with self._lock:  # one broker round trip per period, however many readers
            if self._last is None or time.monotonic() - self._last_at > self._cache_s:
                self._last = await self._read()
                self._last_at = time.monotonic()
            return self._last

    async def end_offsets(self, topic: str) -> dict[int, int]:
        """Log-end offset of each partition of any topic (the dead-letter topic, for one)."""
        tps = [TopicPartition(topic, p) for p in await self._partitions_of(topic)]
        if not tps:
            return {}
        ends = await self._consumer.end_offsets(tps)
        return {tp.partition: int(offset) for tp, offset in ends.items()}

    async def _read(self) -> GroupLag:
        read_at_ms = now_ms()
        state, owners = await self._owners() if self._discover else ("Unknown", {})
        committed = await self._committed()
        if self._discover:
            self._topics |= {tp.topic for tp in committed}
            self._topics |= {tp.topic for tp in owners if not is_bookkeeping_topic(tp.topic)}
        tps = [
            TopicPartition(topic, p)
            for topic in sorted(self._topics)
            for p in await self._partitions_of(topic)
        ]
        if not tps:
            return GroupLag(self.group_id, state, (), read_at_ms)
        log_end = await self._consumer.end_offsets(tps)
        positions = {tp: committed.get(tp, 0) for tp in tps}
        behind = [tp for tp in tps if positions[tp] < log_end[tp]]
        oldest = await self._timestamps_at({tp: positions[tp] for tp in behind})
        partitions = tuple(
            PartitionLag(
                tp.topic, tp.partition, positions[tp], log_end[tp], oldest.get(tp), owners.get(tp)
            )
            for tp in tps
        )
        return GroupLag(self.group_id, state, partitions, read_at_ms)

    async def _owners(self) -> tuple[str, dict[TopicPartition, Owner]]:
        return await group_owners(self._admin, self.group_id)

    async def _committed(self) -> dict[TopicPartition, int]:
        return await committed_offsets(self._admin, self.group_id)

    async def _partitions_of(self, topic: str) -> list[int]:
        if not self._partitions.get(topic):
            self._partitions[topic] = await topic_partitions(self._admin, topic)
        return self._partitions[topic]

    async def _timestamps_at(
        self, offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """The timestamp of the record at each offset, fetched together."""
        if not offsets:
            return {}
        self._consumer.assign(list(offsets))
        for tp, offset in offsets.items():
            self._consumer.seek(tp, offset)
        found: dict[TopicPartition, int] = {}
        deadline = time.monotonic() + _TIMESTAMP_WAIT_MS / 1000
        while len(found) < len(offsets) and time.monotonic() < deadline:
            wanted = [tp for tp in offsets if tp not in found]
            records = await self._consumer.getmany(*wanted, timeout_ms=200, max_records=100)
            for tp, batch in records.items():
                if batch and tp not in found:
                    found[tp] = int(batch[0].timestamp)
                    self._consumer.pause(tp)
        self._consumer.resume(*offsets)
        return found


def lag_json(lag: GroupLag) -> dict[str, Any]:
    """The lag reading as the API and ``lr lag --json`` show it."""
    return {
        "group": lag.group,
        "state": lag.state,
        "read_at_ms": lag.read_at_ms,
        "partitions": [_partition_json(p, lag.read_at_ms) for p in lag.partitions],
        "totals": {"lag_messages": lag.messages, "max_lag_seconds": round(lag.seconds, 3)},
    }


def _partition_json(p: PartitionLag, read_at_ms: int) -> dict[str, Any]:
    owner = p.owner
    return {
        "topic": p.topic,
        "partition": p.partition,
        "committed": p.committed,
        "log_end": p.log_end,
        "lag_messages": p.messages,
        "lag_seconds": round(p.seconds(read_at_ms), 3),
        "oldest_unprocessed_ms": p.oldest_unprocessed_ms,
        "owner": None
        if owner is None
        else {"member_id": owner.member_id, "client_id": owner.client_id, "host": owner.host},
    }
