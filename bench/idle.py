"""Scenario 7: an idle worker's CPU. The worker's process group's user and system time, from
/proc, over a quiet period after it has caught up with some work, as a share of one core."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def group_cpu_s(group: int) -> float:
    """User + system CPU seconds of every live process of process group ``group``."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        if int(fields[2]) == group:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS_PER_S


async def idle_share(group: int, seconds: float) -> float:
    """Percent of one core the group used over ``seconds`` of wall time."""
    cpu_before, wall_before = group_cpu_s(group), time.monotonic()
    await asyncio.sleep(seconds)
    cpu_after, wall_after = group_cpu_s(group), time.monotonic()
    return 100 * (cpu_after - cpu_before) / (wall_after - wall_before)
