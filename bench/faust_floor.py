"""Faust's own floor: a worker whose one agent takes the records of a topic in batches, as ours
do (``stream.take``), and does nothing with them. Started by ``bench.ceiling`` as
``python -m bench.faust_floor worker``, configured by its environment (``FLOOR_*``); it logs one
``FLOOR`` line when it has taken ``FLOOR_RECORDS`` records, then exits."""

from __future__ import annotations

import os
import time

import faust
from faust.types import StreamT

from learning_record.platform.settings import WorkerSettings
from learning_record.stream.take import take_events_when_ready

# Batches as the worker takes them by default.
BATCH_SIZE = WorkerSettings.model_fields["batch_size"].default
BATCH_WITHIN_S = WorkerSettings.model_fields["batch_within_s"].default

app = faust.App(
    os.environ["FLOOR_GROUP"],
    broker=f"kafka://{os.environ['FLOOR_BROKER']}",
    autodiscover=False,
    web_enabled=False,
    store="memory://",
    datadir=os.environ["FLOOR_DATA_DIR"],
    consumer_auto_offset_reset="earliest",
    consumer_max_fetch_size=int(os.environ["FLOOR_MAX_FETCH_BYTES"]),
)
topic = app.topic(os.environ["FLOOR_TOPIC"], value_type=bytes, value_serializer="raw")
expected = int(os.environ["FLOOR_RECORDS"])
log = app.log


@app.agent(topic)
async def take_and_drop(stream: StreamT[bytes]) -> None:
    taken, started = 0, 0.0
    async for events in take_events_when_ready(stream, BATCH_SIZE, BATCH_WITHIN_S):  # type: ignore[arg-type]
        if not taken:
            started, cpu_started = time.perf_counter(), time.process_time()
        taken += len(events)
        if taken >= expected:
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            log.warning(f"FLOOR {taken} {seconds:.4f} {cpu:.4f}")
            os._exit(0)  # the figure is taken: no need to wait for a clean stop


if __name__ == "__main__":
    app.main()
