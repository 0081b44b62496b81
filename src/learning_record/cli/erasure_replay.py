"""``lr replay``, erasures: rebuild each erasure's state (``GET /admin/erasures/{id}``) from the
erasures topic, which keeps every request and every completion (docs/privacy.md). A request
without its completion is pending: the worker finishes it (or already did, and the completion
is later on the topic)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from learning_record.cli.statement_log import TopicFromStart
from learning_record.domain.erasure import ErasureRecord, State
from learning_record.domain.xapi.common import Timestamp
from learning_record.platform.clock import epoch_ms
from learning_record.platform.settings import Settings
from learning_record.store.connection import RedisClient
from learning_record.store.learner_erasure import set_state


@dataclass
class ErasureReplayReport:
    records: int = 0
    erasures: int = 0  # states written


async def replay_erasures(
    settings: Settings, redis: RedisClient, tenant: str | None = None
) -> ErasureReplayReport:
    report = ErasureReplayReport()
    erasures: set[tuple[str, str]] = set()
    async with TopicFromStart(settings, settings.kafka.erasures_topic) as log:
        # An erasure's records share its key, so its completion comes after its request.
        async for message in log.in_partition_order():
            report.records += 1
            try:
                record = ErasureRecord.model_validate_json(message.value or b"")
            except ValidationError:
                continue  # the worker parked it
            if tenant is not None and record.tenant != tenant:
                continue
            state: State = "pending" if record.kind == "requested" else "done"
            await set_state(redis, record.tenant, record.id, state, record.at)
            erasures.add((record.tenant, record.id))
    report.erasures = len(erasures)
    return report


async def erased_learners(settings: Settings) -> dict[str, dict[str, int]]:
    """The learners (by pseudonym) of every erasure done, by tenant, with when it was done
    (Unix ms): their keys are deleted for good, and what they sent before is theirs no more. An
    erasure still pending is the worker's to finish, with their keys."""
    requested: dict[str, tuple[str, str]] = {}
    done: dict[str, int] = {}
    async with TopicFromStart(settings, settings.kafka.erasures_topic) as log:
        async for message in log.in_partition_order():
            try:
                record = ErasureRecord.model_validate_json(message.value or b"")
            except ValidationError:
                continue  # the worker parked it
            if record.kind == "done":
                done[record.id] = epoch_ms(Timestamp.parse(record.at).as_datetime)
            elif record.learner is not None:
                requested[record.id] = (record.tenant, record.learner)
    erased: dict[str, dict[str, int]] = {}
    for erasure_id, (tenant, learner) in requested.items():
        if erasure_id in done:
            learners = erased.setdefault(tenant, {})
            learners[learner] = max(learners.get(learner, 0), done[erasure_id])
    return erased
