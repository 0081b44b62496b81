"""Batches of a Faust stream's events that cost nothing while the stream is idle.

Faust's ``Stream.take_events(max_, within)`` wakes every ``within`` seconds whether or not an
event came, and each wake-up starts three tasks (the buffer, the stream's stop and crash
events). At our ``within`` of 10 ms, four agents made 400 wake-ups a second: most of an idle
worker's CPU (docs/benchmarks.md, "Idle worker"). This is the same loop with one change: while
the buffer is empty it waits for the first event without a timer, then for at most ``within``
more. A batch is still yielded at most ``within`` after its first event, or when it is full.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Any, cast

from faust import Stream
from faust.types import ChannelT, EventT
from mode.utils.futures import notify


async def take_events_when_ready(
    stream: Stream[Any], max_: int, within: float
) -> AsyncGenerator[Sequence[EventT[Any]], None]:
    """Lists of at most ``max_`` events; each acknowledged after the consumer asked for the
    next list, as in Faust's ``take_events``."""
    events: list[EventT[Any]] = []
    buffer_filling = asyncio.Event()  # the buffer holds one event or more
    buffer_full = asyncio.Event()
    buffer_consumed = asyncio.Event()
    buffer_consuming: asyncio.Future[None] | None = None
    acks_were_enabled = stream.enable_acks

    async def add_to_buffer(value: Any) -> Any:
        # The stream calls this for each value; events wait while a batch is being consumed.
        nonlocal buffer_consuming
        if buffer_consuming is not None:
            try:
                await buffer_consuming
            finally:
                buffer_consuming = None
        event = stream.current_event
        if event is None:
            raise RuntimeError("a stream value came without its event")
        events.append(event)
        buffer_filling.set()
        if len(events) >= max_:
            buffer_full.set()
            buffer_consumed.clear()
            await stream.wait(buffer_consumed)  # type: ignore[arg-type]  # mode takes any .wait()
        return value

    # Acknowledge each event only once its batch was consumed, not when it was buffered.
    stream.enable_acks = False
    stream.add_processor(add_to_buffer)
    # How Faust's own take loops read (its private API: there is no public one).
    stream._enable_passive(cast(ChannelT[Any], aiter(stream.channel)))
    try:
        while not stream.should_stop:
            if not events:
                # A stop may come with an event buffered meanwhile: that one is still yielded.
                await stream.wait_for_stopped(buffer_filling)  # type: ignore[arg-type]
            await stream.wait_for_stopped(buffer_full, timeout=within)  # type: ignore[arg-type]
            if not events:
                continue
            buffer_consuming = stream.loop.create_future()
            try:
                yield list(events)
            finally:
                consumed = list(events)
                events.clear()
                buffer_filling.clear()
                for event in consumed:
                    await stream.ack(event)
                notify(buffer_consuming)
                buffer_full.clear()
                buffer_consumed.set()
    finally:
        stream.enable_acks = acks_were_enabled
        stream._processors.remove(add_to_buffer)
