"""Store the statements of the input topic and route what they count, a batch at a time.

A batch of input records is decoded (``ingest.decode_record``: records the API signed are not
validated again), written into the statement view, and routed: the view marks the first origin
that routes each statement (``store.statements.route``), the routing rule turns the marks into
operations (``domain.indicators.routing``), and those leave as one record per destination
partition for the whole batch. The view is written before it is asked, so of a void
and its target processed at the same time, at least one sees the other.

Every per-record step runs inside the dead-letter path: a record that cannot be processed goes
to the dead-letter topic with the reason, and its neighbours in the batch go on. That holds for
the Redis step too: when a tenant's records cannot be stored together for any reason but an
unreachable Redis (``with_retries`` waits for that), they are stored one record at a time, and
only the record that fails alone is parked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from faust.types import EventT, StreamT

from learning_record.domain import ingest
from learning_record.domain.errors import DomainError
from learning_record.domain.indicators.operations import IndicatorOp, encoded_records
from learning_record.domain.indicators.state import origin_of
from learning_record.platform import logs
from learning_record.platform.clock import seconds_to_ms
from learning_record.store.routing import StoredStatement, store_and_route
from learning_record.stream import dead_letters, instruments
from learning_record.stream.app import app, settings
from learning_record.stream.batching import batches
from learning_record.stream.isolation import isolating
from learning_record.stream.partitioning import partition_of
from learning_record.stream.redis_client import redis, with_retries
from learning_record.stream.topics import activity_ops_topic, learner_ops_topic, statements_topic

log = logs.get_logger(__name__)

# Operations and bytes per outgoing record: well under the topic's MAX_RECORD_BYTES.
_OPERATIONS_PER_RECORD = 2000
_RECORD_BYTES = 4 * 1024 * 1024

_SIGNING_KEY = settings.ingest.signing_key.get_secret_value().encode()


@dataclass(frozen=True, slots=True)
class Accepted:
    event: EventT[bytes]
    tenant: str
    statements: list[StoredStatement]


def _decode(event: EventT[bytes], headers: dict[str, bytes]) -> Accepted:
    """Every step a record needs before touching Redis; raises for anything unprocessable."""
    message = event.message
    tenant = ingest.record_tenant(headers, settings.default_tenant)
    value = message.value or b""
    trusted = ingest.signed_by_api(_SIGNING_KEY, headers, tenant, value)
    documents = ingest.decode_record(
        value,
        tenant=tenant,
        trusted=trusted,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=seconds_to_ms(message.timestamp),
        max_direct_bytes=settings.ingest.max_direct_record_bytes,
    )
    defines = ingest.defines(headers)
    statements = [
        StoredStatement.of(
            document, origin_of(message.partition, message.offset, index), defines=defines
        )
        for index, document in enumerate(documents)
    ]
    instruments.count_decoded(len(statements), direct=not ingest.written_by_api(headers))
    return Accepted(event, tenant, statements)


async def _decoded(event: EventT[bytes]) -> Accepted | None:
    headers = dict(event.headers or {})
    # A dead letter is filed under the tenant the record claims, valid or not.
    claimed = ingest.claimed_tenant(headers, settings.default_tenant)
    try:
        return _decode(event, headers)
    except DomainError as error:
        await dead_letters.park(event, claimed, str(error))
    except Exception as error:  # any shape of record, or a bug: park it, never stop
        log.exception("statement_decode_failed", tenant=claimed)
        await dead_letters.park(event, claimed, f"cannot be processed: {type(error).__name__}")
    return None


async def _route(tenant: str, records: Sequence[Accepted]) -> list[IndicatorOp]:
    """Store and route a tenant's records; a record that cannot be stored, even alone, goes to
    the dead letters (``isolating``)."""

    async def park(record: Accepted, error: Exception) -> None:
        log.error("statement_store_failed tenant=%s error=%s", tenant, type(error).__name__)
        await dead_letters.park(record.event, tenant, f"cannot be stored: {error}")

    return await isolating(records, partial(_store_and_route, tenant), park)


async def _store_and_route(tenant: str, records: Sequence[Accepted]) -> list[IndicatorOp]:
    statements = [statement for record in records for statement in record.statements]
    routed = await with_retries(partial(store_and_route, redis, tenant, statements), "statements")
    source = {id(statement): record.event for record in records for statement in record.statements}
    for statement in routed.conflicts:
        statement_id = statement.entry.statement_id
        reason = f"id: statement {statement_id} is already stored with other content"
        await dead_letters.park(source[id(statement)], tenant, reason, statement.entry.document)
    for statement, reason in routed.failures:
        log.error("statement_route_failed", tenant=tenant, reason=reason)
        await dead_letters.park(source[id(statement)], tenant, reason, statement.entry.document)
    return routed.operations


async def _fan_out(operations: Sequence[IndicatorOp]) -> None:
    """One record per destination partition (more when they are many or large), in origin
    order."""
    destinations: dict[tuple[bool, int], list[IndicatorOp]] = {}
    for operation in operations:
        destinations.setdefault((True, partition_of(operation.learner_key().encode())), []).append(
            operation
        )
        activity_key = operation.activity_key()
        if activity_key is not None:
            destinations.setdefault((False, partition_of(activity_key.encode())), []).append(
                operation
            )
    for (learner_side, partition), operations_there in destinations.items():
        topic = learner_ops_topic if learner_side else activity_ops_topic
        records = encoded_records(operations_there, _OPERATIONS_PER_RECORD, _RECORD_BYTES)
        for value, carried in records:
            # Lag in seconds then reads as the age of the oldest statement waiting.
            oldest = min(operation.contribution.stored_ms for operation in carried)
            await topic.send(value=value, partition=partition, timestamp=oldest / 1000)


@app.agent(statements_topic)
@instruments.crash_counted
async def normalise(stream: StreamT[bytes]) -> None:
    async for events in batches(stream):
        by_tenant: dict[str, list[Accepted]] = {}
        for event in events:
            accepted = await _decoded(event)
            if accepted is not None:
                by_tenant.setdefault(accepted.tenant, []).append(accepted)
        operations: list[IndicatorOp] = []
        for tenant, records in by_tenant.items():
            operations += await _route(tenant, records)
        await _fan_out(operations)
