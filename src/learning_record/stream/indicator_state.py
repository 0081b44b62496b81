"""The body of both indicator agents: each batch of operation records is applied to the table
(``domain.indicators.batch``: each value loaded once), the rare extremes that ran out are
recounted from the statement view, then every value touched is written back once, subordinates
before lifetimes, and mirrored to Redis in one pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import orjson
from faust.types import EventT, StreamT

from learning_record.domain.indicators import Entity
from learning_record.domain.indicators.batch import IndicatorBatch, ValueKey
from learning_record.domain.indicators.operations import decode_operations, encode_operations
from learning_record.domain.indicators.state import Outcome, StateValue
from learning_record.domain.indicators.table_keys import table_key
from learning_record.platform import logs
from learning_record.store import indicators as view
from learning_record.store.statements import routed_statements
from learning_record.stream import changelog, dead_letters
from learning_record.stream.batching import batches
from learning_record.stream.learner_keys import learner_keys
from learning_record.stream.partitioning import KeyPartitionedTable
from learning_record.stream.redis_client import redis, with_retries

log = logs.get_logger(__name__)


async def keep_indicators(
    stream: StreamT[bytes], table: KeyPartitionedTable, entities: tuple[Entity, ...]
) -> None:
    async for events in batches(stream):
        batch = IndicatorBatch(partial(_load, table))
        for event in events:
            await _run_record(batch, event, entities)
        await with_retries(partial(_recount, batch), "indicator recounts")
        written = [(key, value, orjson.dumps(value)) for key, value in batch.written()]
        await changelog.write(
            table, [(table_key(key), serialised) for key, _, serialised in written]
        )
        await with_retries(partial(_mirror, written, batch), "indicators")
        skipped = batch.outcomes[Outcome.SKIPPED]
        if skipped:
            log.info("indicator_skips", skipped=skipped)


def _load(table: KeyPartitionedTable, key: ValueKey) -> StateValue:
    stored = table.get(table_key(key))
    return orjson.loads(stored) if stored else {}


async def _run_record(
    batch: IndicatorBatch, event: EventT[bytes], entities: tuple[Entity, ...]
) -> None:
    """One operation record; one that cannot be read or applied (a bug, or a foreign producer)
    is parked in the dead-letter topic, and the batch goes on."""
    try:
        operations = decode_operations(event.value)
    except Exception as error:  # any shape of record: never stop the stream
        await dead_letters.park(event, "", f"unreadable operation record: {error}")
        return
    for operation in operations:
        try:
            batch.run(operation, entities)
        except Exception as error:  # a bug: the record's other operations still count
            log.exception("indicator_operation_failed tenant=%s", operation.tenant)
            value = encode_operations([operation])
            reason = f"operation cannot be applied: {type(error).__name__}"
            await dead_letters.park(event, operation.tenant, reason, value)


async def _recount(batch: IndicatorBatch) -> None:
    recounted = await batch.recount(partial(routed_statements, redis), learner_keys.pseudonymiser)
    if recounted:
        log.info("indicator_extremes_recounted", values=recounted)


async def _mirror(
    written: Sequence[tuple[ValueKey, StateValue, bytes]], batch: IndicatorBatch
) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        view.queue_batch(pipe, written)
        await pipe.execute()
