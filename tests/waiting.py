"""Synchronise on conditions, never on fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(
    probe: Callable[[], Awaitable[T]],
    condition: Callable[[T], bool] = bool,
    *,
    within_s: float = 30.0,
    what: str = "condition",
) -> T:
    """Await ``probe()`` until ``condition(result)`` holds; return that result."""
    deadline = time.monotonic() + within_s
    result = await probe()
    while not condition(result):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {within_s}s; last value: {result!r}")
        await asyncio.sleep(0.05)
        result = await probe()
    return result
