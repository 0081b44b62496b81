"""An agent that raises is counted before Faust restarts it: the fuzz test's witness."""

from __future__ import annotations

from typing import cast

import pytest
from faust.types import StreamT
from prometheus_client import REGISTRY

from learning_record.stream.instruments import crash_counted

NO_STREAM = cast("StreamT[bytes]", None)


def crashes(agent: str) -> float | None:
    labels = {"component": "worker", "agent": agent}
    return REGISTRY.get_sample_value("lr_worker_agent_crashes_total", labels)


async def test_an_agent_that_raises_is_counted_once_and_still_raises() -> None:
    @crash_counted
    async def doomed_agent(stream: StreamT[bytes]) -> None:
        raise RuntimeError("a bug")

    assert crashes("doomed_agent") == 0  # served before any crash
    with pytest.raises(RuntimeError, match="a bug"):
        await doomed_agent(NO_STREAM)
    assert crashes("doomed_agent") == 1


async def test_an_agent_that_returns_is_not_counted() -> None:
    @crash_counted
    async def quiet_agent(stream: StreamT[bytes]) -> None:
        return None

    await quiet_agent(NO_STREAM)
    assert crashes("quiet_agent") == 0
