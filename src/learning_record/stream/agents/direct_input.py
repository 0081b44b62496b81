"""Seal the statements of the direct input topic onto the statements topic, a batch at a time
(docs/privacy.md).

Producers other than the API write xAPI statements there in clear, as they would write them to
the statements topic: one statement or a JSON array, with ``lr-tenant``. The topic keeps them
only for ``raw_retention_ms``; the statements topic keeps them forever, sealed with their
learners' keys, so that erasing a learner leaves no readable copy once the input has expired.
A statement without an id gets one from its place on this topic, so that a record read twice
gives the same ids. Nothing is validated here: the statement agent validates them once opened.

Every per-record step runs inside the dead-letter path: a record that is not JSON, over the
size bound, without a tenant, or whose actor identifies nobody (no key could seal it) goes to
the dead-letter topic with the reason, and its neighbours go on.
"""

from __future__ import annotations

from typing import Any

from faust.types import EventT, StreamT

from learning_record.domain import ingest
from learning_record.domain.errors import DomainError, StatementInvalid
from learning_record.domain.json_input import loads_bounded
from learning_record.platform import logs
from learning_record.stream import dead_letters, instruments
from learning_record.stream.app import app, settings
from learning_record.stream.batching import batches
from learning_record.stream.sealed_forwarding import forward, sealed_value
from learning_record.stream.topics import direct_statements_topic

log = logs.get_logger(__name__)

_TOPIC = settings.kafka.direct_statements_topic


def with_ids(value: bytes, tenant: str, partition: int, offset: int) -> list[Any]:
    """The record's statements, each with an id: its own, or one from its place here."""
    ingest.check_size(
        value, trusted=False, max_direct_bytes=settings.ingest.max_direct_record_bytes
    )
    raw = loads_bounded(value)
    documents = raw if isinstance(raw, list) else [raw]
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise StatementInvalid(f"[{index}]", "a statement is a JSON object")
        document.setdefault("id", ingest.direct_id(tenant, partition, offset, index, _TOPIC))
    return documents


async def _sealed(event: EventT[bytes]) -> None:
    headers = dict(event.headers or {})
    message = event.message
    claimed = ingest.claimed_tenant(headers, settings.default_tenant)
    try:
        tenant = ingest.record_tenant(headers, settings.default_tenant)
        documents = with_ids(message.value or b"", tenant, message.partition, message.offset)
        value = await sealed_value(tenant, documents)
    except DomainError as error:
        await dead_letters.park(event, claimed, str(error))
        return
    except Exception as error:  # any shape of record, or a bug: park it, never stop
        log.exception("direct_record_failed", tenant=claimed)
        await dead_letters.park(event, claimed, f"cannot be processed: {type(error).__name__}")
        return
    await forward(tenant, value, message.key, message.timestamp)


@app.agent(direct_statements_topic)
@instruments.crash_counted
async def seal_direct(stream: StreamT[bytes]) -> None:
    async for events in batches(stream):
        for event in events:
            await _sealed(event)
