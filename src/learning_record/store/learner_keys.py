"""Learners' data keys as this process knows them: the compacted learner-keys topic, read from
its start and then followed (docs/privacy.md). Every process that seals or opens statements
(API, worker, ``lr replay``) holds one ``LearnerKeys``.

A key is produced (acknowledged by every in-sync replica) before anything sealed with it, so a
process that meets a key it does not know reads the topic up to its current end once: a key
still unknown then was erased, and what it sealed stays closed. Two processes meeting a new
learner at once each make a key; both are kept, and erasure deletes every key of the learner.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from contextlib import suppress
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from learning_record.domain.data_keys import (
    DataKey,
    KeyRef,
    KeyUnreadable,
    MasterKeys,
    Pseudonymise,
    WrappedKey,
    parse_record_key,
    pseudonymiser,
    record_key,
)
from learning_record.platform import logs
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import Settings
from learning_record.store.kafka_deadline import kafka_deadline

log = logs.get_logger(__name__)

# The key of the records that keep the topic's segments rolling (``roll_segment``).
SEGMENT_ROLL = b"-|segment-roll|-"
T = TypeVar("T")


class LearnerKeys:
    def __init__(self, settings: Settings) -> None:
        kafka = settings.kafka
        self._topic = TopicPartition(kafka.learner_keys_topic, 0)
        self._deadline_s = kafka.write_deadline_s
        self._pseudonym_key = settings.process.pseudonym_key.get_secret_value()
        masters = settings.privacy.master_keys
        self._masters = MasterKeys(
            masters[0].id, {key.id: key.secret.get_secret_value() for key in masters}
        )
        self._by_learner: dict[tuple[str, str], dict[str, DataKey]] = {}
        self._making: dict[tuple[str, str], asyncio.Future[DataKey]] = {}
        self._position = 0
        self._moved = asyncio.Condition()
        self._kafka = kafka
        self._follower: asyncio.Task[None] | None = None
        # Set once the topic was read to its end: the worker's agents may ask before that.
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Read the topic up to its current end, then follow it in the background."""
        # Made here, in the loop that uses them: the worker makes this object at import.
        options = client_options(self._kafka)
        self._consumer = AIOKafkaConsumer(**options, group_id=None, enable_auto_commit=False)
        self._producer = AIOKafkaProducer(
            **options, enable_idempotence=True, acks="all", linger_ms=0
        )
        await self._producer.start()
        await self._consumer.start()
        self._consumer.assign([self._topic])
        await self._consumer.seek_to_beginning(self._topic)
        self._follower = asyncio.create_task(self._follow())
        await self._catch_up()
        self._ready.set()

    async def stop(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with suppress(asyncio.CancelledError):
                await self._follower
        await self._consumer.stop()
        await self._producer.stop()

    def pseudonymiser(self, tenant: str) -> Pseudonymise:
        """The pseudonym of a learner of ``tenant`` by IFI: the name of their keys."""
        return pseudonymiser(self._pseudonym_key, tenant)

    async def sealing_keys(self, tenant: str, learners: Iterable[str]) -> dict[str, DataKey]:
        """A key for each learner (by pseudonym), made and made durable for those without one.
        ``DependencyUnavailable`` when Kafka does not acknowledge a new key in time."""
        await self._ready.wait()
        found: dict[str, DataKey] = {}
        missing: list[str] = []
        for pseudonym in learners:
            keys = self._by_learner.get((tenant, pseudonym))
            if keys:
                found[pseudonym] = next(iter(keys.values()))
            else:
                missing.append(pseudonym)
        if missing:
            made = await self._within(
                asyncio.gather(*(self._made(tenant, pseudonym) for pseudonym in missing))
            )
            found.update(zip(missing, made, strict=True))
        return found

    async def opening_keys(self, tenant: str, refs: Iterable[KeyRef]) -> dict[KeyRef, DataKey]:
        """The keys of ``refs`` this process knows, after reading the topic to its end if any is
        unknown: what is still missing then was erased."""
        await self._ready.wait()
        wanted = set(refs)
        found = self._known(tenant, wanted)
        if len(found) < len(wanted):
            await self.catch_up()
            found = self._known(tenant, wanted)
        return found

    async def erase(self, tenant: str, pseudonym: str) -> int:
        """Tombstone every key of one learner; how many there were. Reads the topic to its end
        first, so that a key made by another process is erased too."""
        await self.catch_up()
        refs = list(self._by_learner.pop((tenant, pseudonym), {}))
        sends = [
            self._producer.send_and_wait(
                self._topic.topic,
                key=record_key(tenant, KeyRef(pseudonym, key_id)),
                value=None,
                partition=0,
            )
            for key_id in refs
        ]
        await self._within(asyncio.gather(*sends))
        return len(refs)

    async def roll_segment(self) -> None:
        """Write a tombstone of no learner's key. Kafka rolls a segment, and then compacts it,
        only when a record is appended: without writes, an erased key would stay on disk past
        its bound (docs/privacy.md). The key's tenant part is no tenant name."""
        await self._ready.wait()
        await self._within(
            self._producer.send_and_wait(
                self._topic.topic, key=SEGMENT_ROLL, value=None, partition=0
            )
        )

    async def catch_up(self) -> None:
        """Return once every record on the topic when called has been read."""
        await self._ready.wait()
        await self._catch_up()

    async def _catch_up(self) -> None:

        async def reached() -> None:
            end = (await self._consumer.end_offsets([self._topic]))[self._topic]
            async with self._moved:
                await self._moved.wait_for(lambda: self._position >= end)

        await self._within(reached())

    def _known(self, tenant: str, refs: set[KeyRef]) -> dict[KeyRef, DataKey]:
        found: dict[KeyRef, DataKey] = {}
        for ref in refs:
            key = self._by_learner.get((tenant, ref.pseudonym), {}).get(ref.key_id)
            if key is not None:
                found[ref] = key
        return found

    async def _made(self, tenant: str, pseudonym: str) -> DataKey:
        """A new key for a learner, once acknowledged; concurrent calls share one."""
        learner = (tenant, pseudonym)
        making = self._making.get(learner)
        if making is not None:
            return await asyncio.shield(making)
        future = asyncio.get_running_loop().create_future()
        self._making[learner] = future
        try:
            key = DataKey.new(pseudonym)
            wrapped = self._masters.wrap(tenant, key)
            await self._producer.send_and_wait(
                self._topic.topic,
                key=record_key(tenant, key.ref),
                value=wrapped.model_dump_json().encode(),
                partition=0,
            )
            self._by_learner.setdefault(learner, {})[key.ref.key_id] = key
            future.set_result(key)
            return key
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: a caller sharing it gets it raised
            raise
        finally:
            del self._making[learner]

    async def _follow(self) -> None:
        while True:
            try:
                fetched = await self._consumer.getmany(self._topic, timeout_ms=1000)
            except KafkaError as error:
                log.warning("learner_keys_unreadable", error=type(error).__name__)
                await asyncio.sleep(1)
                continue
            for record in fetched.get(self._topic, []):
                self._learn(record)
            position = await self._consumer.position(self._topic)
            async with self._moved:
                self._position = position
                self._moved.notify_all()

    def _learn(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Apply one record; one that cannot be read is skipped with an error, so that it
        neither stops this process nor hides the keys after it."""
        try:
            tenant, ref = parse_record_key(record.key or b"")
            learner = (tenant, ref.pseudonym)
            if record.value is None:
                keys = self._by_learner.get(learner, {})
                keys.pop(ref.key_id, None)
                if not keys:
                    self._by_learner.pop(learner, None)
                return
            wrapped = WrappedKey.model_validate_json(record.value)
            key = self._masters.unwrap(tenant, ref, wrapped)
        except (ValueError, ValidationError, KeyUnreadable, UnicodeDecodeError) as error:
            log.error("learner_key_unreadable", offset=record.offset, error=str(error)[:200])
            return
        self._by_learner.setdefault(learner, {})[ref.key_id] = key

    async def _within(self, work: Awaitable[T]) -> T:
        async with kafka_deadline(self._deadline_s, "answer about the learner keys"):
            return await work


async def rewrap(settings: Settings) -> tuple[int, int]:
    """Wrap again, with the newest master key, every data key an older one wrapped (the second
    step of a rotation: docs/privacy.md); how many keys were read, and how many rewrapped. The
    keys themselves do not change, so nothing sealed with them is touched. An erasure that
    tombstones a key while it is wrapped again must not bring it back: the topic is read again
    afterwards, and each such tombstone written once more, after the rewrapped record."""
    masters = settings.privacy.master_keys
    ring = MasterKeys(masters[0].id, {key.id: key.secret.get_secret_value() for key in masters})
    topic = TopicPartition(settings.kafka.learner_keys_topic, 0)
    options = client_options(settings.kafka)
    consumer = AIOKafkaConsumer(**options, group_id=None, enable_auto_commit=False)
    producer = AIOKafkaProducer(**options, enable_idempotence=True, acks="all")
    await consumer.start()
    await producer.start()
    try:
        consumer.assign([topic])
        await consumer.seek_to_beginning(topic)
        latest, _ = await _read_to_end(consumer, topic)
        rewrapped: set[bytes] = set()
        for key, value in latest.items():
            if value is None or key == SEGMENT_ROLL:
                continue
            tenant, ref = parse_record_key(key)
            wrapped = WrappedKey.model_validate_json(value)
            if wrapped.master != ring.newest:
                again = ring.wrap(tenant, ring.unwrap(tenant, ref, wrapped))
                await producer.send_and_wait(
                    topic.topic, key=key, value=again.model_dump_json().encode(), partition=0
                )
                rewrapped.add(key)
        _, erased = await _read_to_end(consumer, topic)
        for key in erased & rewrapped:  # erased meanwhile: erased it stays
            await producer.send_and_wait(topic.topic, key=key, value=None, partition=0)
    finally:
        await producer.stop()
        await consumer.stop()
    return sum(value is not None for value in latest.values()), len(rewrapped)


async def _read_to_end(
    consumer: AIOKafkaConsumer, topic: TopicPartition
) -> tuple[dict[bytes, bytes | None], set[bytes]]:
    """From the consumer's position to the end seen when called: the last value of each key,
    and every key tombstoned on the way."""
    end = (await consumer.end_offsets([topic]))[topic]
    latest: dict[bytes, bytes | None] = {}
    tombstoned: set[bytes] = set()
    while await consumer.position(topic) < end:
        for record in (await consumer.getmany(topic, timeout_ms=1000)).get(topic, []):
            if record.key is not None and record.offset < end:
                latest[record.key] = record.value
                if record.value is None:
                    tombstoned.add(record.key)
    return latest, tombstoned
