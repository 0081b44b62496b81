"""Asking for a learner's erasure: the use case behind ``DELETE /admin/learners`` and
``lr erase``, with no HTTP and no Kafka in it (docs/privacy.md).

The request names the learner by pseudonym, and by their IFI sealed with their own data key
(made now if they have none): the worker opens it to find what to forget, then deletes the key.
It is appended to the erasures topic, the audit trail, and its state is set in Redis, where the
worker updates it; the API answers with its id and never echoes the learner's identifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from learning_record.domain.data_keys import DataKey
from learning_record.domain.erasure import SEALED_IFI_PLACE, ErasureRecord, new_erasure_id
from learning_record.domain.ingest import iso_millis
from learning_record.domain.sealing import SealedPart, sealed_part
from learning_record.platform import logs
from learning_record.platform.clock import now_utc
from learning_record.store.connection import ANY_REDIS_ERROR, RedisClient
from learning_record.store.learner_erasure import erasure_state, set_state

log = logs.get_logger(__name__)


class ErasureLog(Protocol):
    """The erasures topic: ``append`` returns once the record is durable, or raises
    ``DependencyUnavailable``."""

    async def append(self, record: ErasureRecord) -> None: ...


class LearnerKeyRing(Protocol):
    """What a request needs of the learners' keys (``store.learner_keys.LearnerKeys``)."""

    def pseudonymiser(self, tenant: str) -> Callable[[str], str]: ...

    async def sealing_keys(self, tenant: str, learners: Iterable[str]) -> dict[str, DataKey]: ...


@dataclass(frozen=True, slots=True)
class LearnerErasure:
    redis: RedisClient
    log: ErasureLog
    keys: LearnerKeyRing
    clock: Callable[[], datetime] = now_utc

    async def request(self, tenant: str, ifi: str, requested_by: str) -> ErasureRecord:
        """Ask for the erasure of the learner with ``ifi``; the request, once durable."""
        pseudonym = self.keys.pseudonymiser(tenant)(ifi)
        key = (await self.keys.sealing_keys(tenant, [pseudonym]))[pseudonym]
        record = ErasureRecord(
            kind="requested",
            id=new_erasure_id(),
            tenant=tenant,
            at=iso_millis(self.clock()),
            requested_by=requested_by,
            learner=pseudonym,
            agent=SealedPart(**sealed_part(tenant, key, ifi.encode(), SEALED_IFI_PLACE)),
        )
        await self.log.append(record)
        try:
            await set_state(self.redis, tenant, record.id, "pending", record.at)
        except ANY_REDIS_ERROR:  # the worker sets it too, before it starts
            log.warning("erasure_state_left_to_worker", tenant=tenant, erasure=record.id)
        log.info("erasure_requested", tenant=tenant, erasure=record.id, by=requested_by)
        return record

    async def state(self, tenant: str, erasure_id: str) -> dict[str, str] | None:
        return await erasure_state(self.redis, tenant, erasure_id)
