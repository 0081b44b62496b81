"""The worker's learners' data keys (``store.learner_keys``), started with the worker, and its
patience with a Kafka that is briefly away while it seals or opens statements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TypeVar

from mode import Service

from learning_record.domain.errors import DependencyUnavailable
from learning_record.platform import logs
from learning_record.store.learner_keys import SEGMENT_ROLL, LearnerKeys
from learning_record.stream.app import app, settings
from learning_record.stream.patience import until_it_works
from learning_record.stream.topics import attachments_topic, documents_topic

log = logs.get_logger(__name__)

T = TypeVar("T")

learner_keys = LearnerKeys(settings)


@app.service
class LearnerKeysService(Service):
    """Reads the learner-keys topic before the agents need it, and stops with the worker."""

    async def on_start(self) -> None:
        await learner_keys.start()

    async def on_stop(self) -> None:
        await learner_keys.stop()


@app.timer(interval=settings.kafka.data_key_erasure_ms / 1000 / 4)  # type: ignore[untyped-decorator]  # Faust ships it untyped
async def roll_learner_keys_segment() -> None:
    """Keep the learner-keys topic's segments rolling, so that erased keys leave the disk within
    their bound even when no learner is new (``LearnerKeys.roll_segment``)."""
    with suppress(DependencyUnavailable):  # the next tick writes again
        await learner_keys.roll_segment()
    # The documents and attachments topics too, where an erasure tombstones records.
    for topic in (documents_topic, attachments_topic):
        for partition in range(settings.kafka.partitions):
            await topic.send(key=SEGMENT_ROLL, value=None, partition=partition)


async def with_keys(operation: Callable[[], Awaitable[T]], what: str) -> T:
    """Retry an operation on the keys until Kafka answers: a record is never parked, nor
    skipped, because the keys topic was briefly out of reach."""

    def tell(error: Exception, delay: float) -> None:
        log.warning("learner_keys_retry", what=what, error=str(error), delay_s=round(delay, 1))

    return await until_it_works(operation, (DependencyUnavailable,), tell)
