"""Accepting statements: the use case behind ``POST``/``PUT /statements``, with no HTTP in it.

Assign id, stored and authority; reserve every id for its content in Redis (all or nothing: a
``StatementConflict`` when an id holds other content); charge the statements stored now to the
key's quota; store their attachments' content; append the batch to the statement log as one
record and wait for its acknowledgement; then write it into the statement view, so the caller
reads its own writes. An id reserved by a call whose append failed stays "pending": the same
content sent again is appended again.

The statement log, the attachment log and the quota are ports (``Protocol``\\ s): the API passes
Kafka and Redis adapters, the component tests pass doubles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson

from learning_record.domain import ingest
from learning_record.domain.access import is_lrs_account
from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.indicators.windows import iso_utc
from learning_record.domain.statement_index import check_batch, content_digest, voided_target
from learning_record.domain.xapi.agents import Agent
from learning_record.domain.xapi.attachments import referenced_sha2s
from learning_record.domain.xapi.statements import Statement
from learning_record.platform import logs
from learning_record.platform.clock import epoch_ms, now_utc
from learning_record.store.attachments import (
    AttachmentContent,
    missing_attachments,
    write_attachments,
)
from learning_record.store.connection import ANY_REDIS_ERROR, RedisClient
from learning_record.store.statement_entries import Claim, view_entry
from learning_record.store.statements import reserve, write_view

log = logs.get_logger(__name__)

# Statements per call of the view's write script: Redis runs one script at a time, so a large
# batch written at once would hold every other tenant's commands back.
VIEW_WRITE_CHUNK = 200


class StatementLog(Protocol):
    """The system of record: ``append`` returns once the batch is durable (as one record,
    sealed with its learners' keys: docs/privacy.md), or raises ``DependencyUnavailable`` when
    the log cannot take it within its deadline. ``defines``: whether the statements may change
    the known Agents and Activities (domain.ingest.defines), which a replay must know again."""

    async def append(
        self, tenant: str, documents: Sequence[Mapping[str, Any]], key: bytes, defines: bool
    ) -> None: ...


class AttachmentLog(Protocol):
    """Where attachment content is durable: ``append`` returns once every one is."""

    async def append(self, tenant: str, contents: Mapping[str, AttachmentContent]) -> None: ...


class StatementQuota(Protocol):
    """The caller's monthly statement quota: ``take`` raises when ``count`` does not fit."""

    async def take(self, count: int) -> None: ...

    async def give_back(self, count: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Submission:
    """What a caller submits: its statements, the attachment content sent with them (by
    lowercase hex SHA-2), and for a PUT the id the statement is stored under. ``defines``: the
    caller has the define scope (store.statement_entries.view_entry)."""

    tenant: str
    authority: dict[str, Any]
    statements: Sequence[Statement]
    defines: bool
    attachments: Mapping[str, AttachmentContent] = field(default_factory=dict)
    statement_id: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    ids: list[str]  # of every statement submitted, in order
    stored: int  # how many were stored by this call (not same-content repeats)


@dataclass(frozen=True, slots=True)
class StatementIntake:
    redis: RedisClient
    statements: StatementLog
    attachments: AttachmentLog
    pseudonymisers: Callable[[str], Pseudonymise]  # a tenant's (data_keys.pseudonymiser)
    clock: Callable[[], datetime] = now_utc

    async def accept(self, submission: Submission, quota: StatementQuota) -> Accepted:
        now = self.clock()
        documents = [
            _without_claimed_lrs_authority(statement)
            .with_lrs_fields(
                id=submission.statement_id,
                stored=ingest.iso_millis(now),
                authority=submission.authority,
            )
            .to_document()
            for statement in submission.statements
        ]
        check_batch(documents)
        claims = [Claim(str(d["id"]), content_digest(d), voided_target(d)) for d in documents]
        reservations = await reserve(self.redis, submission.tenant, claims, epoch_ms(now))
        due: list[dict[str, Any]] = []
        for document, reservation in zip(documents, reservations, strict=True):
            if reservation.state != "stored":
                document["stored"] = iso_utc(reservation.stored_ms)
                due.append(ingest.with_default_timestamp(document))
        if due:
            await self._store(submission, due, quota)
        return Accepted([str(d["id"]) for d in documents], stored=len(due))

    async def _store(
        self, submission: Submission, documents: Sequence[dict[str, Any]], quota: StatementQuota
    ) -> None:
        tenant = submission.tenant
        # Only statements stored now count against the quota, not same-content repeats.
        await quota.take(len(documents))
        try:
            # Acknowledged statements never point to content that is not stored (1.5.2);
            # statements stored earlier had their attachments stored with them.
            await self._store_attachments(tenant, _referenced(documents, submission.attachments))
            # The whole batch is one record: the log stores all of it or none of it.
            first_id = str(documents[0]["id"]).encode()
            await self.statements.append(
                tenant, documents, key=first_id, defines=submission.defines
            )
        except BaseException:
            await quota.give_back(len(documents))
            raise
        # Read-your-writes: the view has the batch before the caller hears of it. Once the log
        # holds the batch it is accepted whatever happens here: the worker writes the view too,
        # and an error now would make the caller send an id-less batch twice.
        learner_id = self.pseudonymisers(tenant)
        entries = [
            view_entry(d, orjson.dumps(d), defines=submission.defines, learner_id=learner_id)
            for d in documents
        ]
        try:
            for start in range(0, len(entries), VIEW_WRITE_CHUNK):
                await write_view(self.redis, tenant, entries[start : start + VIEW_WRITE_CHUNK])
        except ANY_REDIS_ERROR:
            log.warning("view_write_left_to_worker", tenant=tenant, statements=len(entries))

    async def _store_attachments(
        self, tenant: str, contents: Mapping[str, AttachmentContent]
    ) -> None:
        """Append the content the view lacks, then write it to the view: content already in
        the view is in the log already, so it is stored once."""
        missing = sorted(await missing_attachments(self.redis, tenant, contents))
        if missing:
            new = {sha2: contents[sha2] for sha2 in missing}
            await self.attachments.append(tenant, new)
            await write_attachments(self.redis, tenant, new)


def _referenced(
    documents: Sequence[Mapping[str, Any]], contents: Mapping[str, AttachmentContent]
) -> dict[str, AttachmentContent]:
    return {sha2: contents[sha2] for sha2 in referenced_sha2s(documents) if sha2 in contents}


def _without_claimed_lrs_authority(statement: Statement) -> Statement:
    """The statement without an authority in the LRS's own namespace, which only the LRS
    assigns (Data 2.4.9: it SHOULD overwrite the authority from the credentials): a client
    cannot pass its statements off as another key's, nor as a direct Kafka producer's."""
    account = statement.authority.account if isinstance(statement.authority, Agent) else None
    if account is not None and is_lrs_account(str(account.home_page)):
        return statement.model_copy(update={"authority": None})
    return statement
