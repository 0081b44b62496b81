"""Batches of events, the unit of work of every agent: one table write per key and one Redis
pipeline per batch, instead of one of each per statement. Every partition's records come in
order and none is skipped (``stream.continuity``), and every batch is measured
(``stream.instruments``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from faust import Stream, Topic
from faust.types import TP, EventT, StreamT
from mode import Service
from mode.types.signals import BaseSignalT

from learning_record.stream.app import app, settings
from learning_record.stream.continuity import (
    Continuity,
    KafkaHoleReader,
    continuous,
    faust_committed,
    faust_settle,
)
from learning_record.stream.instruments import observed
from learning_record.stream.take import take_events_when_ready

hole_reader = KafkaHoleReader(settings.kafka, settings.worker.app_id)
_continuity = Continuity(faust_committed(app), hole_reader, faust_settle(app))


@app.service
class HoleReaderService(Service):
    """Stops the consumer that reads holes again, with the worker."""

    async def on_stop(self) -> None:
        await hole_reader.stop()


@app.on_partitions_revoked.connect
async def _forget_revoked(
    sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any
) -> None:
    revoked: set[TP] = args[0]
    _continuity.forget(revoked)


def batches(stream: StreamT[bytes]) -> AsyncIterator[Sequence[EventT[bytes]]]:
    taken = take_events_when_ready(
        cast(Stream[bytes], stream), settings.worker.batch_size, settings.worker.batch_within_s
    )
    # A topic in the worker; an in-memory channel under ``agent.test_context()``.
    channel = stream.channel
    if isinstance(channel, Topic):
        taken = continuous(taken, _continuity)
    topic = channel.get_topic_name() if isinstance(channel, Topic) else "channel"
    stage = topic.removeprefix(f"{settings.kafka.topic_prefix}.")
    return observed(taken, stage, input_topic=topic == settings.kafka.statements_topic)
