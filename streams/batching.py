"""Batches of events, the unit of work of every agent: one table write per key and one Redis
pipeline per batch, instead of one of each per statement."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import cast

from faust import Stream
from faust.types import EventT, StreamT

from streams.app import settings


def batches(stream: StreamT[bytes]) -> AsyncIterator[Sequence[EventT[bytes]]]:
    # take_events is defined on the concrete Stream, not on the StreamT interface.
    return cast(Stream[bytes], stream).take_events(
        settings.worker.batch_size, within=settings.worker.batch_within_s
    )
