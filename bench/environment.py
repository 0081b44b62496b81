"""What the suite's figures depend on besides the code, and how busy the machine was with
other work while they were measured."""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.stack import KAFKA_LIBS


def os_description() -> str:
    try:
        release = Path("/etc/os-release").read_text()
    except OSError:
        return f"{platform.system()} {platform.release()}"
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?$', release, re.MULTILINE)
    name = match.group(1) if match else platform.system()
    return f"{name}, Linux {platform.release()}"


def kafka_version(libs: Path = KAFKA_LIBS) -> str:
    """The broker's version, from the jars the stack runs (deploy/kafka/pom.xml)."""
    for jar in sorted(libs.glob("kafka-server-*.jar")):
        if match := re.fullmatch(r"kafka-server-([\d.]+)\.jar", jar.name):
            return match.group(1)
    return "unknown"


def redis_version() -> str:
    try:
        shown = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    match = re.search(r"v=([\d.]+)", shown)
    return match.group(1) if match else "unknown"


def load_average() -> float:
    return os.getloadavg()[0]


def _machine_cpu_s() -> tuple[float, float]:
    """CPU seconds of the whole machine since boot: (busy, wall x CPUs), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    total = sum(fields[:8])  # up to steal; guest time is already in user
    return (total - idle) / ticks, total / ticks


def _own_cpu_s() -> float:
    """CPU seconds of this process and of every child it has waited for (the stacks' broker,
    Redis, worker and API, and the peer, are all children, stopped and waited for)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass(frozen=True, slots=True)
class CpuShare:
    """Average cores busy over a period: the machine's, ours, and everyone else's."""

    machine_cores: float
    ours_cores: float
    load_before: float
    load_after: float

    @property
    def others_cores(self) -> float:
        return max(self.machine_cores - self.ours_cores, 0.0)


class CpuAccount:
    def __init__(self) -> None:
        self._busy, self._total = _machine_cpu_s()
        self._ours = _own_cpu_s()
        self._load = load_average()
        self._cpus = os.cpu_count() or 1

    def close(self) -> CpuShare:
        busy, total = _machine_cpu_s()
        wall = (total - self._total) / self._cpus
        if wall <= 0:
            return CpuShare(0.0, 0.0, self._load, load_average())
        return CpuShare(
            machine_cores=(busy - self._busy) / wall,
            ours_cores=(_own_cpu_s() - self._ours) / wall,
            load_before=self._load,
            load_after=load_average(),
        )
