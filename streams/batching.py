"""Batches of events, the unit of work of every agent: one table write per key and one Redis
pipeline per batch, instead of one of each per statement. Every batch is measured
(``streams.instruments``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import cast

from faust import Stream, Topic
from faust.types import EventT, StreamT

from streams.app import settings
from streams.instruments import observed


def batches(stream: StreamT[bytes]) -> AsyncIterator[Sequence[EventT[bytes]]]:
    # take_events is defined on the concrete Stream, not on the StreamT interface.
    taken = cast(Stream[bytes], stream).take_events(
        settings.worker.batch_size, within=settings.worker.batch_within_s
    )
    # A topic in the worker; an in-memory channel under ``agent.test_context()``.
    channel = stream.channel
    topic = channel.get_topic_name() if isinstance(channel, Topic) else "channel"
    stage = topic.removeprefix(f"{settings.kafka.topic_prefix}.")
    return observed(taken, stage, input_topic=topic == settings.kafka.statements_topic)
