"""The worker's indicator path without Kafka, over a real Redis: the shipped code end to end.

Records are stored and routed by ``store.routing`` (the statement view marks the first origin in
Redis, the routing rule ``domain.indicators.routing`` decides),
their operations are applied by ``IndicatorBatch`` to JSON values held as a table holds them,
extremes are recounted from the view, values are mirrored by ``store.indicators`` and read
back as the API reads them. Only Kafka's part (carrying records, offsets) is played here, so a
test can deliver operations in any order a real deployment allows, crash, and redeliver.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson
from redis.asyncio import Redis

from learning_record.domain.data_keys import pseudonymiser
from learning_record.domain.indicators import Entity, Window, read_indicators
from learning_record.domain.indicators.batch import IndicatorBatch, ValueKey
from learning_record.domain.indicators.operations import IndicatorOp
from learning_record.domain.indicators.state import StateValue, origin_of
from learning_record.store import indicators as view
from learning_record.store.routing import StoredStatement, store_and_route
from learning_record.store.statements import routed_statements

_tenants = itertools.count()


class IndicatorPipeline:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.tenant = f"pipeline{next(_tenants)}"
        # Any key does: the pipeline names its learners the way a worker would.
        self.learner_id = pseudonymiser("indicator pipeline", self.tenant)
        self.table: dict[ValueKey, bytes] = {}
        self.next_offset: dict[int, int] = {}

    async def receive(
        self, documents: Sequence[dict[str, Any]], partition: int, offset: int | None = None
    ) -> list[IndicatorOp]:
        """Store and route one input record (at the next offset of ``partition``, or again at
        ``offset``, a redelivery); its operations."""
        if offset is None:
            offset = self.next_offset.get(partition, 0)
            self.next_offset[partition] = offset + 1
        statements = [
            StoredStatement.of(
                document,
                origin_of(partition, offset, index),
                defines=True,
                learner_id=self.learner_id,
            )
            for index, document in enumerate(documents)
        ]
        routed = await store_and_route(self.redis, self.tenant, statements, self.learner_id)
        return routed.operations

    async def apply(
        self,
        operations: Sequence[IndicatorOp],
        entities: tuple[Entity, ...],
        *,
        written_before_crash: int | None = None,
    ) -> None:
        """One batch of an indicator agent; ``written_before_crash`` keeps only that many of
        its values (in the order the changelog gets them) and mirrors nothing, as a crash
        would."""
        batch = IndicatorBatch(self._load)
        for operation in operations:
            batch.run(operation, entities)
        await batch.recount(partial(routed_statements, self.redis), lambda _: self.learner_id)
        written = [(key, value, orjson.dumps(value)) for key, value in batch.written()]
        if written_before_crash is not None:
            written = written[:written_before_crash]
        for key, _, serialised in written:
            self.table[key] = serialised
        if written_before_crash is None:
            async with self.redis.pipeline(transaction=False) as pipe:
                view.queue_batch(pipe, written)
                await pipe.execute()

    async def read(
        self, entity: Entity, subject: str, window: Window, as_of_ms: int
    ) -> dict[str, Any]:
        """An entity's indicators as the API reads them; ``subject`` is a learner IFI, an
        activity id, or ``(IFI, activity id)`` joined by a space for a pair."""
        if entity is Entity.LEARNER:
            ref = self.learner_id(subject)
        elif entity is Entity.ACTIVITY:
            ref = view.activity_ref(subject)
        else:
            learner, activity = subject.split(" ", 1)
            ref = view.pair_ref(self.learner_id(learner), activity)
        fields = view.window_fields(window, as_of_ms)
        (stored,) = await view.read_values(self.redis, [(self.tenant, entity, ref)], fields)
        return read_indicators(entity, stored.values, stored.members)

    def _load(self, key: ValueKey) -> StateValue:
        stored = self.table.get(key)
        return orjson.loads(stored) if stored is not None else {}
