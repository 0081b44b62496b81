"""Find the record that fails a step taken for a whole group, so that its neighbours go on.

A group whose step raises is taken again one record at a time, and only a record that fails
alone is given up (to the dead-letter topic). The step must be safe to run again for the same
records: the worker's Redis writes are idempotent for the same origins.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


async def isolating(
    items: Sequence[Item],
    step: Callable[[Sequence[Item]], Awaitable[list[Result]]],
    give_up: Callable[[Item, Exception], Awaitable[None]],
) -> list[Result]:
    """``step(items)``; when it raises, ``step`` of each item alone, and ``give_up`` on the
    items that raise alone. The results of the items that went through, in order."""
    try:
        return await step(items)
    except Exception as error:  # any shape of record, or a bug: isolate it, never stop
        if len(items) == 1:
            await give_up(items[0], error)
            return []
        log.exception("group_step_failed items=%d", len(items))
    results: list[Result] = []
    for item in items:
        results += await isolating([item], step, give_up)
    return results
