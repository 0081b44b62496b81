"""Indicator operations leave for the indicator agents: one record per destination partition
(more when they are many or large), in origin order (``domain.indicators.operations``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from learning_record.domain.indicators.operations import IndicatorOp, encoded_records
from learning_record.stream.partitioning import partition_of
from learning_record.stream.topics import activity_ops_topic, learner_ops_topic

# Operations and bytes per outgoing record: well under the topic's MAX_RECORD_BYTES.
_OPERATIONS_PER_RECORD = 2000
_RECORD_BYTES = 4 * 1024 * 1024


async def send_operations(operations: Sequence[IndicatorOp], *, durable: bool = False) -> None:
    """Send ``operations``; with ``durable``, return only once the brokers have them all (an
    erasure purges the view once its retractions cannot be lost)."""
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
    sent: list[Awaitable[object]] = []
    for (learner_side, partition), operations_there in destinations.items():
        topic = learner_ops_topic if learner_side else activity_ops_topic
        records = encoded_records(operations_there, _OPERATIONS_PER_RECORD, _RECORD_BYTES)
        for value, carried in records:
            # Lag in seconds then reads as the age of the oldest statement waiting.
            oldest = min(operation.contribution.stored_ms for operation in carried)
            sent.append(await topic.send(value=value, partition=partition, timestamp=oldest / 1000))
    if durable:
        await asyncio.gather(*sent)
