"""Accepting statements (``services.ingest``) over a real ``redis-server``, with doubles for the
statement log, the attachment log and the quota: what is appended, what is charged, what the
view holds, exactly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from learning_record.domain.access import key_authority
from learning_record.domain.errors import DependencyUnavailable
from learning_record.domain.statement_index import StatementConflict
from learning_record.domain.xapi.statements import parse_statement
from learning_record.services.ingest import StatementIntake, Submission
from learning_record.store.attachments import AttachmentContent, fetch_attachment
from learning_record.store.statements import fetch_single
from tests.component.doubles import RecordingAttachments, RecordingLog
from tests.ports import free_ports
from tests.pseudonyms import learner_ids
from tests.unit.factories import OTHER_STATEMENT_ID, STATEMENT_ID, make_statement

NOW = datetime(2026, 12, 3, 10, 0, 0, 123_456, tzinfo=UTC)
TENANT = "acme"
AUTHORITY = key_authority("key-1")
SHA2 = "a" * 64


@dataclass
class CountingQuota:
    taken: int = 0

    async def take(self, count: int) -> None:
        self.taken += count

    async def give_back(self, count: int) -> None:
        self.taken -= count


@pytest.fixture
def log() -> RecordingLog:
    return RecordingLog()


@pytest.fixture
def attachments() -> RecordingAttachments:
    return RecordingAttachments()


@dataclass
class Clock:
    now: datetime = NOW


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def intake(
    redis: Redis, log: RecordingLog, attachments: RecordingAttachments, clock: Clock
) -> StatementIntake:
    return StatementIntake(redis, log, attachments, learner_ids, clock=lambda: clock.now)


def submission(*documents: dict[str, Any], **fields: Any) -> Submission:
    statements = [parse_statement(document) for document in documents]
    return Submission(
        tenant=TENANT, authority=AUTHORITY, statements=statements, **{"defines": True, **fields}
    )


async def test_a_batch_is_one_record_stored_with_its_lrs_fields_and_readable_at_once(
    intake: StatementIntake, log: RecordingLog, redis: Redis
) -> None:
    quota = CountingQuota()
    accepted = await intake.accept(
        submission(make_statement(id=STATEMENT_ID), make_statement(id=OTHER_STATEMENT_ID)), quota
    )

    assert accepted.ids == [STATEMENT_ID, OTHER_STATEMENT_ID]
    assert accepted.stored == 2
    assert quota.taken == 2
    ((tenant, documents, key),) = log.batches
    assert (tenant, key) == (TENANT, STATEMENT_ID.encode())
    assert [d["id"] for d in documents] == [STATEMENT_ID, OTHER_STATEMENT_ID]
    assert {d["stored"] for d in documents} == {"2026-12-03T10:00:00.123Z"}
    assert all(d["authority"] == AUTHORITY for d in documents)
    stored = await fetch_single(redis, TENANT, STATEMENT_ID, voided=False)
    assert stored is not None
    assert orjson.loads(stored) == documents[0]


async def test_the_same_content_again_is_neither_appended_nor_charged(
    intake: StatementIntake, log: RecordingLog
) -> None:
    await intake.accept(submission(make_statement(id=STATEMENT_ID)), CountingQuota())
    quota = CountingQuota()

    accepted = await intake.accept(submission(make_statement(id=STATEMENT_ID)), quota)

    assert (accepted.ids, accepted.stored, quota.taken) == ([STATEMENT_ID], 0, 0)
    assert len(log.batches) == 1


async def test_other_content_under_a_taken_id_is_a_conflict_and_nothing_is_appended(
    intake: StatementIntake, log: RecordingLog
) -> None:
    await intake.accept(submission(make_statement(id=STATEMENT_ID)), CountingQuota())
    quota = CountingQuota()

    with pytest.raises(StatementConflict) as raised:
        await intake.accept(
            submission(make_statement(id=STATEMENT_ID, verb__id="http://example.com/other")),
            quota,
        )

    assert raised.value.statement_id == STATEMENT_ID
    assert (len(log.batches), quota.taken) == (1, 0)


async def test_a_failed_append_gives_the_quota_back_and_a_retry_appends_the_same_statement(
    intake: StatementIntake, log: RecordingLog, redis: Redis, clock: Clock
) -> None:
    quota = CountingQuota()
    log.failing = True
    with pytest.raises(DependencyUnavailable):
        await intake.accept(submission(make_statement(id=STATEMENT_ID)), quota)
    assert quota.taken == 0
    assert await fetch_single(redis, TENANT, STATEMENT_ID, voided=False) is None

    log.failing = False
    clock.now = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    accepted = await intake.accept(submission(make_statement(id=STATEMENT_ID)), quota)

    assert (accepted.stored, quota.taken) == (1, 1)
    ((_, (document,), _),) = log.batches
    assert document["stored"] == "2026-12-03T10:00:00.123Z"  # the first reservation's


@dataclass
class RedisGoesDownOnAppend:
    """The log acknowledges the batch, and Redis is gone the moment after."""

    redis: Redis
    appended: int = 0

    async def append(
        self, tenant: str, documents: Sequence[Mapping[str, Any]], key: bytes, defines: bool
    ) -> None:
        self.appended += 1
        (dead_port,) = free_ports(1)
        self.redis.connection_pool.connection_kwargs["port"] = dead_port
        await self.redis.connection_pool.disconnect()


async def test_once_the_log_has_the_batch_it_is_accepted_whatever_happens_to_the_view(
    redis: Redis, redis_url: str, attachments: RecordingAttachments
) -> None:
    breaking = Redis.from_url(redis_url)  # a client of its own to break; the fixture flushed
    log = RedisGoesDownOnAppend(breaking)
    intake = StatementIntake(breaking, log, attachments, learner_ids, clock=lambda: NOW)
    try:
        accepted = await intake.accept(submission(make_statement(id=STATEMENT_ID)), CountingQuota())
    finally:
        await breaking.aclose()

    assert (accepted.ids, accepted.stored, log.appended) == ([STATEMENT_ID], 1, 1)


async def test_an_lrs_authority_claimed_by_the_client_is_replaced_by_the_key(
    intake: StatementIntake, log: RecordingLog
) -> None:
    claimed = make_statement(id=STATEMENT_ID, authority=key_authority("someone-else"))

    await intake.accept(submission(claimed), CountingQuota())

    assert log.batches[0][1][0]["authority"] == AUTHORITY


async def test_attachment_content_is_appended_once_and_only_when_referenced(
    intake: StatementIntake, attachments: RecordingAttachments, redis: Redis
) -> None:
    attachment = {
        "usageType": "http://example.com/usage",
        "display": {"en-US": "notes"},
        "contentType": "text/plain",
        "length": 5,
        "sha2": SHA2,
    }
    contents = {
        SHA2: AttachmentContent("text/plain", b"notes"),
        "b" * 64: AttachmentContent("text/plain", b"x"),
    }
    first = make_statement(id=STATEMENT_ID, attachments=[attachment])
    second = make_statement(id=OTHER_STATEMENT_ID, attachments=[attachment])

    await intake.accept(submission(first, attachments=contents), CountingQuota())
    await intake.accept(submission(second, attachments=contents), CountingQuota())

    assert attachments.appended == [(TENANT, [SHA2])]
    assert await fetch_attachment(redis, TENANT, SHA2) == contents[SHA2]
