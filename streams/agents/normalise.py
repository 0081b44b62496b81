"""Validate and normalise input records; store statements; fan them out by learner.

A record that cannot be processed goes to the dead-letter topic with its original bytes and the
reason, and the agent moves on: one poison message never stops the stream.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import orjson
from faust.types import EventT, StreamT

from learning_domain import ingest
from learning_domain.errors import StatementInvalid, UnidentifiedActor
from learning_domain.identity import learner_id, learner_key
from learning_domain.xapi.statements import Statement
from serving.statements import ViewEntry, view_entry, write_view
from streams.app import app, settings
from streams.batching import batches
from streams.partitioning import partition_of
from streams.redis_client import redis, with_retries
from streams.topics import dead_letter_topic, learner_events_topic, statements_topic

log = logging.getLogger(__name__)

# Statements per store script call: keeps each atomic script short, so Redis stays responsive.
_WRITE_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Accepted:
    tenant: str
    statements: list[Statement]
    documents: list[bytes]  # each statement's JSON, serialised once for Redis and the fan-out
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Rejected:
    event: EventT[bytes]
    tenant: str
    reason: str


def _decode(event: EventT[bytes]) -> Accepted | Rejected:
    message = event.message
    headers = dict(event.headers or {})
    tenant = ingest.record_tenant(headers, settings.default_tenant)
    try:
        statements = ingest.decode_record(
            message.value,
            tenant=tenant,
            from_api=ingest.written_by_api(headers),
            partition=message.partition,
            offset=message.offset,
            timestamp_ms=int(message.timestamp * 1000),
        )
    except StatementInvalid as error:
        return Rejected(event, tenant, str(error))
    except Exception as error:  # a bug must not stop the stream either: park the record
        log.exception("statement_decode_failed tenant=%s", tenant)
        return Rejected(event, tenant, f"internal error: {type(error).__name__}")
    documents = [orjson.dumps(s.to_document()) for s in statements]
    return Accepted(tenant, statements, documents, message.partition, message.offset)


async def _dead_letter(rejected: Rejected) -> None:
    message = rejected.event.message
    log.warning(
        "statement_rejected tenant=%s partition=%s offset=%s reason=%s",
        rejected.tenant,
        message.partition,
        message.offset,
        rejected.reason,
    )
    await dead_letter_topic.send(
        key=message.key,
        value=message.value or b"",
        headers={
            ingest.TENANT_HEADER: rejected.tenant.encode(),
            ingest.DLQ_REASON_HEADER: rejected.reason.encode(),
            "lr-source-topic": message.topic.encode(),
            "lr-source-partition": str(message.partition).encode(),
            "lr-source-offset": str(message.offset).encode(),
        },
    )


async def _store(accepted: Sequence[Accepted]) -> None:
    by_tenant: dict[str, list[ViewEntry]] = {}
    for batch in accepted:
        by_tenant.setdefault(batch.tenant, []).extend(
            view_entry(statement.to_document(), document)
            for statement, document in zip(batch.statements, batch.documents, strict=True)
        )
    for tenant, entries in by_tenant.items():
        for start in range(0, len(entries), _WRITE_CHUNK):
            chunk = entries[start : start + _WRITE_CHUNK]
            await with_retries(partial(_write_view, tenant, chunk), "statements")


async def _write_view(tenant: str, entries: list[ViewEntry]) -> None:
    outcome = await write_view(redis, tenant, entries)
    for statement_id in outcome.conflicts:
        # The API reserved this id for other content: its statement is the one kept.
        log.warning("statement_id_conflict tenant=%s statement_id=%s", tenant, statement_id)


async def _fan_out(accepted: Sequence[Accepted]) -> None:
    for batch in accepted:
        pairs = zip(batch.statements, batch.documents, strict=True)
        for index, (statement, document) in enumerate(pairs):
            actor = statement.actor
            try:
                key = learner_key(actor)
            except UnidentifiedActor:
                continue  # an anonymous Group has no identity, so it is nobody's learner record
            learner_event_key = f"{batch.tenant}|{key}".encode()
            await learner_events_topic.send(
                key=learner_event_key,
                partition=partition_of(learner_event_key),
                value=orjson.dumps(
                    {
                        "tenant": batch.tenant,
                        "learner_id": learner_id(actor),
                        "source": [batch.partition, batch.offset, index],
                        "statement": orjson.Fragment(document),
                    }
                ),
            )


@app.agent(statements_topic)
async def normalise(stream: StreamT[bytes]) -> None:
    async for events in batches(stream):
        outcomes = [_decode(event) for event in events]
        accepted = [o for o in outcomes if isinstance(o, Accepted)]
        for rejected in (o for o in outcomes if isinstance(o, Rejected)):
            await _dead_letter(rejected)
        await _store(accepted)
        await _fan_out(accepted)
