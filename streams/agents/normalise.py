"""Validate and normalise input records, store the statements, and route what they count.

Each counted statement becomes an "apply" operation for its learner and its activity; a voiding
statement becomes a "retract" of its target, routed to the target's learner and activity. The
view is written first and read after, so of a void and its target processed at the same time
at least one sees the other: a void that comes first is remembered by the view (voided-by) and
applied when the target arrives; the tables take a retraction before its application too.

A record that cannot be processed goes to the dead-letter topic with the reason, and the agent
moves on: one poison message never stops the stream.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from faust.types import EventT, StreamT

from learning_domain import ingest
from learning_domain.errors import StatementInvalid
from learning_domain.identity import ifi_properties
from learning_domain.indicators import Contribution, contribution_of, voided_target
from serving.statements import VoidFacts, view_entry, void_facts, write_view
from streams import instruments
from streams.app import app, settings
from streams.batching import batches
from streams.indicator_state import IndicatorOp, Operation
from streams.partitioning import partition_of
from streams.redis_client import redis, with_retries
from streams.topics import (
    activity_events_topic,
    dead_letter_topic,
    learner_events_topic,
    statements_topic,
)

log = logging.getLogger(__name__)

# Statements per store script call: keeps each atomic script short, so Redis stays responsive.
_WRITE_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Accepted:
    event: EventT[bytes]
    tenant: str
    documents: list[dict[str, Any]]
    serialised: list[bytes]  # each document's JSON, serialised once


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
    instruments.count_decoded(len(statements), direct=not ingest.written_by_api(headers))
    documents = [s.to_document() for s in statements]
    return Accepted(event, tenant, documents, [orjson.dumps(d) for d in documents])


async def _dead_letter(event: EventT[bytes], tenant: str, reason: str, value: bytes | None) -> None:
    message = event.message
    log.warning(
        "statement_rejected tenant=%s partition=%s offset=%s reason=%s",
        tenant,
        message.partition,
        message.offset,
        reason,
    )
    instruments.count_dead_letter()
    await dead_letter_topic.send(
        key=message.key,
        value=value if value is not None else message.value or b"",
        headers={
            ingest.TENANT_HEADER: tenant.encode(),
            ingest.DLQ_REASON_HEADER: reason.encode(),
            "lr-source-topic": message.topic.encode(),
            "lr-source-partition": str(message.partition).encode(),
            "lr-source-offset": str(message.offset).encode(),
        },
    )


async def _store(tenant: str, batches_of_tenant: Sequence[Accepted]) -> set[str]:
    """Write the statements into the view; the ids held by other content (not written)."""
    entries = [
        view_entry(document, serialised)
        for accepted in batches_of_tenant
        for document, serialised in zip(accepted.documents, accepted.serialised, strict=True)
    ]
    conflicts: set[str] = set()
    for start in range(0, len(entries), _WRITE_CHUNK):
        chunk = entries[start : start + _WRITE_CHUNK]
        outcome = await with_retries(partial(write_view, redis, tenant, chunk), "statements")
        conflicts.update(outcome.conflicts)
    return conflicts


async def _send(operation: Operation, tenant: str, contribution: Contribution, actor: Any) -> None:
    stamp = contribution.stored_ms / 1000  # so lag in seconds reads as age of the statement
    learner_key = f"{tenant}|{contribution.learner}".encode()
    await learner_events_topic.send(
        key=learner_key,
        partition=partition_of(learner_key),
        timestamp=stamp,
        value=IndicatorOp(operation, tenant, contribution, ifi_properties(actor)).encode(),
    )
    if contribution.activity is not None:
        activity_key = f"{tenant}|{contribution.activity}".encode()
        await activity_events_topic.send(
            key=activity_key,
            partition=partition_of(activity_key),
            timestamp=stamp,
            value=IndicatorOp(operation, tenant, contribution).encode(),
        )


async def _route(tenant: str, batches_of_tenant: Sequence[Accepted], conflicts: set[str]) -> None:
    documents = [d for accepted in batches_of_tenant for d in accepted.documents]
    targets = [t for d in documents if (t := voided_target(d)) is not None]
    counted = [str(d["id"]) for d in documents if voided_target(d) is None]
    facts: VoidFacts = await with_retries(
        partial(void_facts, redis, tenant, targets, counted), "void lookups"
    )
    for accepted in batches_of_tenant:
        for document, serialised in zip(accepted.documents, accepted.serialised, strict=True):
            statement_id = str(document["id"])
            if statement_id in conflicts:
                reason = f"id: statement {statement_id} is already stored with other content"
                await _dead_letter(accepted.event, tenant, reason, serialised)
                continue
            await _route_one(tenant, document, facts)


async def _route_one(tenant: str, document: dict[str, Any], facts: VoidFacts) -> None:
    target = voided_target(document)
    if target is not None:
        stored_target = facts.target_documents.get(target)
        if stored_target is not None:
            target_document = orjson.loads(stored_target)
            voided = contribution_of(target_document)
            if voided is not None:
                await _send("retract", tenant, voided, target_document["actor"])
        return  # a target not stored yet is voided when it arrives (the view remembers)
    contribution = contribution_of(document)
    if contribution is None:
        return  # an anonymous Group is nobody's learner record
    await _send("apply", tenant, contribution, document["actor"])
    if str(document["id"]) in facts.voided:
        await _send("retract", tenant, contribution, document["actor"])


@app.agent(statements_topic)
async def normalise(stream: StreamT[bytes]) -> None:
    async for events in batches(stream):
        by_tenant: dict[str, list[Accepted]] = {}
        for outcome in (_decode(event) for event in events):
            if isinstance(outcome, Rejected):
                await _dead_letter(outcome.event, outcome.tenant, outcome.reason, None)
            else:
                by_tenant.setdefault(outcome.tenant, []).append(outcome)
        for tenant, accepted in by_tenant.items():
            conflicts = await _store(tenant, accepted)
            await _route(tenant, accepted, conflicts)
