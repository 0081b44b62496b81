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


async def until_done(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    progress: Callable[[T], object],
    *,
    stall_s: float = 120.0,
    what: str = "condition",
) -> T:
    """Await ``probe()`` until ``done(result)``, for as long as the work moves on: fail only when
    ``progress(result)`` stayed the same for ``stall_s`` seconds. The deadline follows the work,
    so a slow or busy machine takes longer but does not fail; a stuck one fails."""
    result = await probe()
    last, moved_at = progress(result), time.monotonic()
    while not done(result):
        if time.monotonic() - moved_at > stall_s:
            raise AssertionError(f"{what}: no progress for {stall_s}s; last value: {result!r}")
        await asyncio.sleep(0.2)
        result = await probe()
        if (now := progress(result)) != last:
            last, moved_at = now, time.monotonic()
    return result
