"""``lr privacy reseal``: seal the records written in clear to the statements topic before it was
sealed, so that an erasure reaches them too (docs/privacy.md). Two steps, API and workers
stopped, because they rewrite the system of record:

1. ``reseal`` copies the statements topic to ``<prefix>.statements.resealing``, record for record
   (``topic_copy``: same partition, offset, key and timestamp). A sealed record, and one the
   worker dead-letters, is copied byte for byte. A clear one is decoded as the worker decodes it
   (ids, ``stored`` and ``authority`` filled), sealed with its learners' keys, and signed as the
   API signs its records, so that the worker takes those properties as they are: each statement
   keeps its id, content and origin. Each is decoded again before it is written, and must give
   exactly what the clear one gave.
2. ``swap`` deletes the statements topic, creates it again as the copy is, copies the copy back
   byte for byte, and deletes the copy last: run again after a crash, it starts over from the
   copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord

from learning_record.cli.erasure_replay import erased_learners
from learning_record.cli.replay import progress_bar
from learning_record.cli.statement_log import LoggedRecord, StatementLog, TopicFromStart
from learning_record.cli.topic_copy import (
    CopyRefused,
    Offsets,
    SamePlaceWriter,
    admin_client,
    commit_offsets,
    committed_offsets,
    create_topic,
    delete_topic,
    ends_of,
    log_offsets,
    topic_shape,
)
from learning_record.domain import ingest, sealing
from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.errors import DependencyUnavailable, DomainError
from learning_record.domain.process.privacy import ANONYMOUS_HOME_PAGE
from learning_record.platform.settings import KafkaSettings, Settings
from learning_record.platform.topics import MAX_RECORD_BYTES
from learning_record.store.sealed_records import SEALED, is_sealed, sealed_record

Record: TypeAlias = ConsumerRecord[bytes, bytes]


def staging_topic(kafka: KafkaSettings) -> str:
    return f"{kafka.statements_topic}.resealing"


class Copy(Enum):
    """How a record went to the staging topic."""

    RESEALED = "resealed"
    SEALED = "sealed already, copied as it was"
    DEAD_LETTER = "dead-lettered by the worker, copied as it was"


@dataclass
class ResealReport:
    records: int = 0
    statements: int = 0  # in the records resealed
    counts: dict[Copy, int] = field(default_factory=lambda: dict.fromkeys(Copy, 0))
    ends: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SwapReport:
    records: int
    ends: dict[int, int]
    groups: list[str]  # whose committed offsets were kept


async def reseal(settings: Settings) -> ResealReport:
    """Copy the statements topic to the staging topic, its clear records sealed (step 1)."""
    kafka = settings.kafka
    source, staging = kafka.statements_topic, staging_topic(kafka)
    report = ResealReport()
    # Before the log is opened, which creates the statements topic if a swap deleted it.
    async with admin_client(kafka) as admin:
        staged = await topic_shape(admin, staging) is not None
    if staged:
        refusal = interrupted_swap(
            await log_offsets(kafka, staging), await log_offsets(kafka, source)
        )
        if refusal:
            raise CopyRefused(f"{staging} was left as it is: {refusal}")
    erased = await erased_learners(settings)
    async with _ClearLog(settings) as log:
        before = await log_offsets(kafka, source)
        refusal = start_refusal(before)
        if refusal:
            raise CopyRefused(f"{source}: {refusal}")
        async with admin_client(kafka) as admin:
            shape = await topic_shape(admin, source)
            if shape is None:
                raise CopyRefused(f"no topic {source}")
            await delete_topic(admin, staging)  # a copy left by an earlier run
            await create_topic(admin, staging, shape)
        async with SamePlaceWriter(kafka, staging) as writer:
            with progress_bar(f"resealing {source}", quiet=False) as progress:
                task = progress.add_task("", total=log.total_records)
                async for record in log.in_partition_order():
                    copy, how, statements = await log.copy_of(record, erased)
                    await writer.write(copy)
                    report.records += 1
                    report.statements += statements
                    report.counts[how] += 1
                    progress.advance(task)
    after = await log_offsets(kafka, source)
    if after != before:
        async with admin_client(kafka) as admin:
            await delete_topic(admin, staging)
        raise CopyRefused(
            f"{source} was written to while it was copied (end offsets {ends_of(before)}, then "
            f"{ends_of(after)}): stop the API, the workers and every producer, and run it again"
        )
    copied = await log_offsets(kafka, staging)
    if copied != before:
        raise CopyRefused(f"{staging} ends at {ends_of(copied)}, {source} at {ends_of(before)}")
    report.ends = ends_of(before)
    return report


async def swap(settings: Settings) -> SwapReport:
    """Put the staging topic in the place of the statements topic, then delete it (step 2)."""
    kafka = settings.kafka
    source, staging = kafka.statements_topic, staging_topic(kafka)
    async with admin_client(kafka) as admin:
        shape = await topic_shape(admin, staging)
        if shape is None:
            raise CopyRefused(f"no topic {staging}: run lr privacy reseal first")
        staged = await log_offsets(kafka, staging)
        refusal = swap_refusal(staged, await log_offsets(kafka, source))
        if refusal:
            raise CopyRefused(f"{source} was left as it is: {refusal}")
        # The records keep their offsets, so the groups keep their place: the workers go on
        # where they stopped, instead of reading the whole log again.
        groups = await committed_offsets(kafka, source)
        await delete_topic(admin, source)
        await create_topic(admin, source, shape)
    async with (
        TopicFromStart(settings, staging) as copy,
        SamePlaceWriter(kafka, source) as writer,
    ):
        with progress_bar(f"copying {staging} back", quiet=False) as progress:
            task = progress.add_task("", total=copy.total_records)
            async for record in copy.in_partition_order():
                await writer.write(record)
                progress.advance(task)
    swapped = await log_offsets(kafka, source)
    if swapped != staged:
        raise CopyRefused(
            f"{source} ends at {ends_of(swapped)}, {staging} at {ends_of(staged)}: "
            "run lr privacy reseal --swap again"
        )
    await commit_offsets(kafka, source, groups)
    async with admin_client(kafka) as admin:
        await delete_topic(admin, staging)
    ends = ends_of(staged)
    return SwapReport(sum(ends.values()), ends, sorted(groups))


def start_refusal(offsets: Offsets) -> str | None:
    """Why a topic cannot be copied offset for offset: records were deleted from its start."""
    moved = {p: start for p, (start, _) in offsets.items() if start != 0}
    if moved:
        return f"its log starts after offset 0 (partition: log start offset {moved})"
    return None


def interrupted_swap(staged: Offsets, current: Offsets) -> str | None:
    """Why a new copy must not replace the staging topic (``staged``): the statements topic
    (``current``, {} once deleted) ends before it, so a swap stopped midway, and the staging
    topic is the only whole copy."""
    shorter = {p: end for p, (_, end) in staged.items() if current.get(p, (0, 0))[1] < end}
    if shorter:
        return (
            f"the statements topic ends before it (end offsets {ends_of(current)}, the staging "
            f"topic's {ends_of(staged)}): a swap stopped midway; run lr privacy reseal --swap "
            "--yes again"
        )
    return None


def swap_refusal(staged: Offsets, current: Offsets) -> str | None:
    """Why the staging topic (``staged``) must not replace the statements topic (``current``,
    {} once deleted). It may be shorter than the copy: a swap stopped while copying back."""
    if any(start != 0 for start, _ in staged.values()):
        return "the staging topic does not start at offset 0"
    if current and current.keys() != staged.keys():
        return f"partitions {sorted(current)}, the staging topic's {sorted(staged)}"
    longer = {p: end for p, (_, end) in current.items() if end > staged[p][1]}
    if longer:
        return (
            f"it holds records the staging topic does not (end offsets {longer}, the staging "
            f"topic's {ends_of(staged)}): was it written to since? run lr privacy reseal again"
        )
    return None


def resealed_headers(
    original: Mapping[str, bytes], tenant: str, value: bytes, signing_key: bytes
) -> list[tuple[str, bytes]]:
    """The headers of a resealed record: its tenant, the API's signature (the worker then trusts
    the ids, stored times and authorities inside, a direct record's too), the define header if
    the clear record had one; no other header of it, which its producer may have filled with
    anything."""
    headers = [
        (ingest.TENANT_HEADER, tenant.encode()),
        (ingest.SOURCE_HEADER, ingest.SOURCE_API),
        (ingest.SIGNATURE_HEADER, ingest.signature(signing_key, tenant, value)),
    ]
    define = original.get(ingest.DEFINE_HEADER)
    if define is not None:
        headers.append((ingest.DEFINE_HEADER, define))
    return [*headers, (sealing.SEALED_HEADER, SEALED)]


def anonymised(documents: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every statement is of an actor ``/process`` anonymised, with no other person in
    it: the raw stream now seals such records with the tenant's one ``ANONYMOUS`` key, rather
    than a key for each random stand-in (``sealed_records.sealed_record``)."""
    return all(
        _anonymous(document.get("actor")) and not sealing.cut(document, lambda ifi: ifi).agents
        for document in documents
    )


def without_erased(
    clear: LoggedRecord, pseudonymise: Pseudonymise, erased: frozenset[str]
) -> LoggedRecord:
    """What the worker decodes of ``clear`` once resealed with the ``erased`` learners' parts
    sealed for no one: their statements gone (the others keep their places), and each of them
    the placeholder where another's statement names them."""
    if not erased or clear.statements is None:
        return clear

    def is_erased(ifi: str | None) -> bool:
        return ifi is not None and pseudonymise(ifi) in erased

    def visit(agent: Mapping[str, Any]) -> Any:
        return sealing.placeholder() if is_erased(sealing.person_ifi(agent)) else agent

    kept = [
        (index, sealing.with_agents(document, visit))
        for index, document in clear.statements
        if not is_erased(sealing.owner_ifi(document.get("actor")))
    ]
    return replace(clear, statements=kept)


def _anonymous(actor: Any) -> bool:
    account = actor.get("account") if isinstance(actor, dict) else None
    return isinstance(account, dict) and account.get("homePage") == ANONYMOUS_HOME_PAGE


class _ClearLog(StatementLog):
    """The statements topic, each record as the staging topic takes it."""

    async def copy_of(
        self, record: Record, erased: Mapping[str, Mapping[str, int]]
    ) -> tuple[Record, Copy, int]:
        """The record to write in the place of ``record``, how it was copied, and how many
        statements it resealed. The learners ``erased`` (by tenant, ``erased_learners``) before
        the record was written are sealed for no one: their erasure reaches what they wrote
        before sealing too; a learner who came back after it keeps what they wrote since."""
        if is_sealed(dict(record.headers or ())):
            return record, Copy.SEALED, 0
        clear = await self._decoded(record)
        documents = clear.documents
        if documents is None:
            return record, Copy.DEAD_LETTER, 0
        learners = erased.get(clear.tenant, {})
        gone = frozenset(p for p, done_ms in learners.items() if record.timestamp < done_ms)
        resealed = await self._resealed(record, clear.tenant, documents, gone)
        expected = without_erased(clear, self._keys.pseudonymiser(clear.tenant), gone)
        if await self._decoded(resealed) != expected:
            raise CopyRefused(f"{_place(record)} does not decode the same once resealed")
        return resealed, Copy.RESEALED, len(documents)

    async def _resealed(
        self, record: Record, tenant: str, documents: list[dict[str, Any]], erased: frozenset[str]
    ) -> Record:
        try:
            value = await sealed_record(
                self._keys, tenant, documents, anonymised=anonymised(documents), erased=erased
            )
        except DependencyUnavailable:
            raise
        except (DomainError, TypeError, ValueError) as error:
            raise CopyRefused(f"{_place(record)} cannot be sealed: {error}") from error
        if len(value) > MAX_RECORD_BYTES:
            raise CopyRefused(f"{_place(record)} is {len(value)} bytes once sealed")
        headers = resealed_headers(dict(record.headers or ()), tenant, value, self._signing_key)
        return replace(record, value=value, headers=headers, serialized_value_size=len(value))


def _place(record: Record) -> str:
    return f"the record at offset {record.offset} of partition {record.partition}"
