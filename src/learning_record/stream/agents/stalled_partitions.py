"""Every few seconds, fetch again the partitions whose records wait on the broker while their
committed offset stands still (``stream.stall_rewind`` says why)."""

from __future__ import annotations

import time

from learning_record.ops.consumer_lag import is_bookkeeping_topic
from learning_record.platform import logs
from learning_record.stream.app import app, settings
from learning_record.stream.batching import hole_reader
from learning_record.stream.stall_rewind import FaustPosition, StallRewinder

log = logs.get_logger(__name__)

_position = FaustPosition(app, hole_reader)
_rewinder = StallRewinder(_position, settings.worker.rewind_stalled_after_s)


@app.timer(interval=settings.worker.rewind_stalled_after_s / 3)  # type: ignore[untyped-decorator]
async def rewind_stalled_partitions() -> None:
    if not _position.between_rebalances():
        return  # a recovery pauses and seeks partitions on purpose
    streams = {tp for tp in app.consumer.assignment() if not is_bookkeeping_topic(tp.topic)}
    try:
        await _rewinder.check(streams, time.monotonic())
    except Exception as error:
        # A timer that raises stops the whole worker. The broker away, or a rebalance starting
        # meanwhile: the next tick tries again.
        log.warning("stall_rewind_failed", error=repr(error))
