"""Store the statements of the input topic and route what they count, a batch at a time.

A batch of input records is decoded (``sealed_records.decoded_record``: sealed records are
opened, those the API signed are not validated again), written into the statement view, and
routed: the view marks the first origin that routes each statement (``store.statements.route``),
the routing rule turns the marks into operations (``domain.indicators.routing``), and those
leave as one record per destination partition for the whole batch. The view is written before
it is asked, so of a void and its target processed at the same time, at least one sees the
other.

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
from learning_record.domain.indicators.operations import IndicatorOp
from learning_record.domain.indicators.state import origin_of
from learning_record.platform import logs
from learning_record.platform.clock import seconds_to_ms
from learning_record.store.routing import StoredStatement, store_and_route
from learning_record.store.sealed_records import InputRecord, decoded_record, is_sealed
from learning_record.stream import dead_letters, instruments
from learning_record.stream.app import app, settings
from learning_record.stream.batching import batches
from learning_record.stream.isolation import isolating
from learning_record.stream.learner_keys import learner_keys, with_keys
from learning_record.stream.operations_out import send_operations
from learning_record.stream.redis_client import redis, with_retries
from learning_record.stream.topics import statements_topic

log = logs.get_logger(__name__)

_SIGNING_KEY = settings.ingest.signing_key.get_secret_value().encode()


@dataclass(frozen=True, slots=True)
class Accepted:
    event: EventT[bytes]
    tenant: str
    statements: list[StoredStatement]


async def _decode(event: EventT[bytes], headers: dict[str, bytes]) -> Accepted:
    """Every step a record needs before touching Redis; raises for anything unprocessable."""
    message = event.message
    tenant = ingest.record_tenant(headers, settings.default_tenant)
    value = message.value or b""
    record = InputRecord(
        headers,
        value,
        tenant,
        ingest.signed_by_api(_SIGNING_KEY, headers, tenant, value),
        message.partition,
        message.offset,
        seconds_to_ms(message.timestamp),
    )
    max_direct_bytes = settings.ingest.max_direct_record_bytes
    decoded = await with_keys(
        partial(decoded_record, learner_keys, record, max_direct_bytes), "open"
    )
    defines = ingest.defines(headers)
    learner_id = learner_keys.pseudonymiser(tenant)
    statements = [
        StoredStatement.of(
            document,
            origin_of(message.partition, message.offset, index),
            defines=defines,
            learner_id=learner_id,
        )
        for index, document in decoded
    ]
    instruments.count_decoded(len(statements), direct=not ingest.written_by_api(headers))
    return Accepted(event, tenant, statements)


async def _decoded(event: EventT[bytes]) -> Accepted | None:
    headers = dict(event.headers or {})
    # A dead letter is filed under the tenant the record claims, valid or not.
    claimed = ingest.claimed_tenant(headers, settings.default_tenant)
    try:
        return await _decode(event, headers)
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
    learner_id = learner_keys.pseudonymiser(tenant)
    store = partial(store_and_route, redis, tenant, statements, learner_id)
    routed = await with_retries(store, "statements")
    source = {id(statement): record.event for record in records for statement in record.statements}
    for statement in routed.conflicts:
        statement_id = statement.entry.statement_id
        reason = f"id: statement {statement_id} is already stored with other content"
        await _park_statement(source[id(statement)], tenant, reason, statement)
    for statement, reason in routed.failures:
        log.error("statement_route_failed", tenant=tenant, reason=reason)
        await _park_statement(source[id(statement)], tenant, reason, statement)
    return routed.operations


async def _park_statement(
    event: EventT[bytes], tenant: str, reason: str, statement: StoredStatement
) -> None:
    """Park the one statement of a record that failed; of a sealed record, the record itself
    (still sealed: the dead letters keep nothing an erasure could not reach), which a retry
    stores again whole, the others' ids being taken already."""
    sealed = is_sealed(dict(event.headers or {}))
    await dead_letters.park(event, tenant, reason, None if sealed else statement.entry.document)


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
        await send_operations(operations)
