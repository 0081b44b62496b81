"""The worker's patience with a dependency that is briefly away: an operation is tried again,
ever less often (up to every 5 s), until it works. A record is then never parked, nor skipped,
because Redis or Kafka was out of reach for a while."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

_FIRST_DELAY_S = 0.1
_LONGEST_DELAY_S = 5.0


async def until_it_works(
    operation: Callable[[], Awaitable[T]],
    away: tuple[type[Exception], ...],
    tell: Callable[[Exception, float], None],
) -> T:
    """``operation()`` once it does not raise one of ``away``; ``tell`` hears of each failure
    and the delay before the next try."""
    delay = _FIRST_DELAY_S
    while True:
        try:
            return await operation()
        except away as error:
            tell(error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _LONGEST_DELAY_S)
