"""Failed authentication, limited per client address.

Every failure is charged to the address in Redis (shared by every API process, one-second
windows). Once an address passes ``LR_API__FAILED_AUTH_PER_S`` failures in a window, this
process refuses it with 429 until the window ends, before checking its credentials at all: a
correct guess then does not get through either, so guessing is bounded by the limit.

The address is the TCP peer: behind a reverse proxy, have the proxy limit its clients.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from learning_record.api.errors import ApiError
from learning_record.store.rate_limits import RateLimiter

_SCOPE = "_failed_auth"  # the limiter's namespace for these windows: no tenant has this name
_MOST_TRACKED = 10_000  # addresses remembered as blocked, oldest forgotten first


class FailedAuthLimiter:
    def __init__(
        self,
        limiter: RateLimiter,
        per_s: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limiter = limiter
        self._per_s = per_s
        self._clock = clock
        self._blocked_until: OrderedDict[str, float] = OrderedDict()

    def check(self, address: str) -> None:
        """429 while ``address`` is blocked; no I/O."""
        until = self._blocked_until.get(address)
        if until is None:
            return
        left = until - self._clock()
        if left <= 0:
            del self._blocked_until[address]
            return
        raise _too_many(left)

    async def charge(self, address: str) -> None:
        """Count one failure of ``address``; past the limit, block it until the window ends."""
        decision = await self._limiter.take_request(_SCOPE, address, self._per_s)
        if decision.allowed:
            return
        left = decision.reset_ms / 1000
        self._blocked_until[address] = self._clock() + left
        self._blocked_until.move_to_end(address)
        while len(self._blocked_until) > _MOST_TRACKED:
            self._blocked_until.popitem(last=False)
        raise _too_many(left)


def _too_many(left_s: float) -> ApiError:
    return ApiError(
        429,
        "too_many_failed_authentications",
        "too many failed authentications from this address; retry after the Retry-After header",
        headers={"Retry-After": str(max(1, math.ceil(left_s)))},
    )
