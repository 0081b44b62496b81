"""The API's event-loop lag (``api.loop_lag``), read from its own ``/metrics``."""

from __future__ import annotations

import time

from tests.component.api_app import ApiUnderTest
from tests.integration.metrics_text import value
from tests.waiting import until

LAG = "lr_api_event_loop_lag_seconds"


async def test_a_synchronous_slice_is_measured_as_event_loop_lag(api: ApiUnderTest) -> None:
    async def held_over_half_a_second() -> float:
        async with api.client.get("/metrics") as response:
            text = await response.text()
        counted = value(text, f"{LAG}_count", component="api")
        return counted - value(text, f"{LAG}_bucket", component="api", le="0.5")

    before = await held_over_half_a_second()
    # The loop held by CPU work without an await, as a heavy handler would hold it: the
    # sampler, due within 50 ms, wakes at least 0.75 s late.
    busy_until = time.monotonic() + 0.8
    while time.monotonic() < busy_until:
        pass

    # Another stall of a loaded machine may add a sample of its own: at least this one counts.
    await until(
        held_over_half_a_second,
        lambda n: n > before,
        within_s=10,
        what="the 0.8 s slice counted as event-loop lag over half a second",
    )
