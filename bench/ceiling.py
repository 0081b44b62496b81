"""Where the stream's time goes, and the ceiling it puts on one worker (issue #15).

On one fresh stack (``make run``'s: one broker, one Redis, one worker, one API), per round:

1. the FUN-MOOC statements produced straight to Kafka, one record each, timed end to end as in
   the suite's scenario 1, with the CPU time each part of the stack spent on them (its
   processes' user and system time, from /proc) and the bench's own (the producer and the
   poller of the group's progress);
2. Faust's floor: the same records, in a topic no worker reads, taken by a Faust worker whose
   one agent batches them as ours do and does nothing (``bench.faust_floor``), at Faust's
   default fetch size (1 MiB per partition) and at 8 MiB.

Then one more ingest under py-spy (50 samples/s, not timed), whose samples are split by the
agent they were taken in. From the CPU per statement follow two ceilings: one worker's (one
process, so one core at most) and the whole stack's on this machine's cores.

Run ``python -m bench.ceiling`` (about 4 minutes; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench import REPOSITORY, code_version, publish
from bench.cluster import Sizes, role_of
from bench.environment import kafka_version, os_description
from bench.figures import Spread
from bench.hostile import machine_line
from bench.idle import group_cpu_s
from bench.kafka_ingest import produced_rate
from bench.stack import BenchStack, fresh_stack
from bench.workloads import Statement, fun_mooc, with_new_ids
from learning_record.domain.access import IssuedKey

SECTION = "ceiling"
FLOOR_TOPIC = "bench.floor"
FETCH_SIZES = (1024**2, 8 * 1024**2)  # Faust's default, and eight times it
PY_SPY = Path(sys.executable).parent / "py-spy"
# What a worker sample was doing, by the first of these found in its stack (see ``_part_of``).
PARTS = (
    ("normalise.py", "normalise: decode, validate, write the statement view, fan out"),
    ("learner_indicators.py", "learner and learner-activity indicators"),
    ("activity_indicators.py", "activity indicators"),
)
WAITING = "waiting for I/O (the event loop's select)"
FRAMEWORK = "Faust, aiokafka and the event loop, outside our agents"
THREADS = "other threads: Faust's consumer, the /metrics server"
OTHER = "our other agents and services"


FULL = Sizes(statements=22_000, rounds=3)
QUICK = Sizes(statements=2_000, rounds=1)


@dataclass
class Results:
    rates: list[float] = field(default_factory=list)  # statements/s, end to end
    # CPU microseconds per statement, by part ("kafka", "redis", "worker", "api", "bench").
    cpu_us: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    floor_rates: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    floor_cpu_us: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    profile: Counter[str] = field(default_factory=Counter)


async def ingest_with_cpu(
    stack: BenchStack, key: IssuedKey, data: Sequence[Statement], label: str, results: Results
) -> None:
    before = {p.name: group_cpu_s(p.pid) for p in stack.processes}
    own_before = time.process_time()
    rate = await produced_rate(stack, data, label, key)
    own = time.process_time() - own_before
    spent: dict[str, float] = defaultdict(float)
    for process in stack.processes:
        spent[role_of(process.name)] += group_cpu_s(process.pid) - before[process.name]
    spent["bench"] = own
    for part, seconds in spent.items():
        results.cpu_us[part].append(1e6 * seconds / len(data))
    results.rates.append(rate)
    worker_us = results.cpu_us["worker"][-1]
    print(f"    {label}: {rate:,.0f} statements/s, worker {worker_us:.0f} µs each", flush=True)


async def fill_floor_topic(stack: BenchStack, data: Sequence[Statement]) -> None:
    servers = stack.settings.kafka.bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        partitions = stack.settings.kafka.partitions
        await admin.create_topics([NewTopic(FLOOR_TOPIC, partitions, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", linger_ms=20)
    await producer.start()
    try:
        for statement in data:
            await producer.send(FLOOR_TOPIC, orjson.dumps(statement))
        await producer.flush()
    finally:
        await producer.stop()


def faust_floor(stack: BenchStack, records: int, fetch_bytes: int, results: Results) -> None:
    """One no-op Faust worker, in a group of its own, reading the floor topic from its start."""
    with tempfile.TemporaryDirectory(prefix="lr-bench-floor-") as data_dir:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPOSITORY),
            "FLOOR_GROUP": f"floor-{uuid.uuid4().hex[:8]}",
            "FLOOR_BROKER": stack.settings.kafka.bootstrap_servers,
            "FLOOR_DATA_DIR": data_dir,
            "FLOOR_TOPIC": FLOOR_TOPIC,
            "FLOOR_RECORDS": str(records),
            "FLOOR_MAX_FETCH_BYTES": str(fetch_bytes),
        }
        shown = subprocess.run(
            [sys.executable, "-m", "bench.faust_floor", "worker", "--loglevel", "warn"],
            env=env,
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    match = re.search(r"FLOOR (\d+) ([\d.]+) ([\d.]+)", shown.stdout + shown.stderr)
    if match is None:
        raise RuntimeError(f"the Faust floor worker gave no figure: {shown.stderr[-2000:]}")
    taken, seconds, cpu = int(match[1]), float(match[2]), float(match[3])
    results.floor_rates[fetch_bytes].append(taken / seconds)
    results.floor_cpu_us[fetch_bytes].append(1e6 * cpu / taken)
    print(
        f"    Faust floor, fetch {fetch_bytes // 1024**2} MiB: {taken / seconds:,.0f} records/s",
        flush=True,
    )


async def profiled_ingest(
    stack: BenchStack, key: IssuedKey, data: Sequence[Statement], results: Results
) -> None:
    with tempfile.TemporaryDirectory(prefix="lr-bench-profile-") as folder:
        out = Path(folder) / "worker.txt"
        spy = await asyncio.create_subprocess_exec(
            *(PY_SPY, "record", "--rate", "50", "--format", "raw", "--output", str(out)),
            *("--pid", str(stack.worker.pid)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await asyncio.sleep(1)  # py-spy attaches before the first record is sent
        await produced_rate(stack, data, "under py-spy", key)
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        await asyncio.wait_for(spy.wait(), 60)
        results.profile.update(split_samples(out.read_text().splitlines()))


def split_samples(lines: Iterable[str]) -> Counter[str]:
    """py-spy's raw lines (``frame;frame;... count``), counted by ``_part_of``."""
    parts: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if stack:
            parts[_part_of(stack.split(";"))] += int(count)
    return parts


def _part_of(frames: Sequence[str]) -> str:
    if "select (selectors.py" in frames[-1]:
        return WAITING
    if any("Thread._bootstrap" in frame for frame in frames):
        return THREADS
    ours = ";".join(f for f in frames if "learning_record/" in f and "/cli/" not in f)
    for module, part in PARTS:
        if module in ours:
            return part
    return OTHER if "learning_record/stream/" in ours else FRAMEWORK


async def run(sizes: Sizes) -> Results:
    statements = fun_mooc()[: sizes.statements]
    results = Results()
    async with fresh_stack("ceiling") as stack:
        key = await stack.new_tenant_key("ceiling")
        await produced_rate(stack, with_new_ids(statements[:2000], "warm-up"), "warm-up", key)
        await fill_floor_topic(stack, with_new_ids(statements, "floor"))
        for number in range(1, sizes.rounds + 1):
            print(f"  round {number} of {sizes.rounds}", flush=True)
            data = with_new_ids(statements, f"round {number}")
            await ingest_with_cpu(stack, key, data, f"round {number}", results)
            for fetch_bytes in FETCH_SIZES:
                await asyncio.to_thread(faust_floor, stack, len(statements), fetch_bytes, results)
        await profiled_ingest(stack, key, with_new_ids(statements, "profiled"), results)
    return results


def render(results: Results, sizes: Sizes, machine: str, load: str) -> str:
    cpu = {part: Spread.of(values) for part, values in results.cpu_us.items()}
    stack_parts = ("kafka", "redis", "worker", "api")
    stack_us = sum(cpu[part].median for part in stack_parts)
    cores = os.cpu_count() or 1
    worker_us = cpu["worker"].median
    rate = Spread.of(results.rates)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    broker_and_redis = cpu["kafka"].median + cpu["redis"].median
    lines = [
        "## Where the stream's time goes: the ceiling of one worker",
        "",
        f"Measured by `python -m bench.ceiling` on {when}, "
        f"code {code_version('src', 'bench')}; {machine}; {os_description()}; Kafka "
        f"{kafka_version()}; load average {load}.",
        "",
        f"One fresh default stack. Rounds: {sizes.rounds}; in each, {sizes.statements:,} FUN-MOOC "
        "statements produced straight to Kafka (one record each) and timed end to end, then the "
        "same records taken by a Faust worker that does nothing with them. Medians, lowest and "
        "highest in brackets.",
        "",
        f"Kafka ingest end to end: **{rate.median:,.0f} statements/s** "
        f"({rate.low:,.0f}-{rate.high:,.0f}).",
        "",
        "CPU per statement, by part (user + system time of its processes over the run):",
        "",
        "| part | µs per statement |",
        "|---|--:|",
    ]
    for part in (*stack_parts, "bench"):
        figure = cpu[part]
        lines.append(f"| {part} | {figure.median:,.0f} ({figure.low:,.0f}-{figure.high:,.0f}) |")
    lines += [
        f"| **the stack (all but the bench)** | **{stack_us:,.0f}** |",
        "",
        f"- One worker is one process: at {worker_us:,.0f} µs per statement it takes at most "
        f"**{1e6 / worker_us:,.0f} statements/s** with a whole core to itself.",
        f"- The whole stack on this machine's {cores} cores, none idle and nothing else running: "
        f"at most **{cores * 1e6 / stack_us:,.0f} statements/s**.",
        f"- 5,000 statements/s on {cores} cores leaves {cores * 1e6 / 5000:,.0f} µs per statement "
        f"for everything: the broker and Redis alone took {broker_and_redis:,.0f}, "
        f"and one worker could spend no more than {1e6 / 5000:,.0f} on its one core.",
        "",
        "Faust's floor: an agent that takes the records in batches as ours do and drops them.",
        "",
        "| fetch size per partition | records/s | CPU µs per record |",
        "|---|--:|--:|",
    ]
    for fetch_bytes in FETCH_SIZES:
        floor, floor_cpu = (
            Spread.of(results.floor_rates[fetch_bytes]),
            Spread.of(results.floor_cpu_us[fetch_bytes]),
        )
        default = " (Faust's default)" if fetch_bytes == FETCH_SIZES[0] else ""
        lines.append(
            f"| {fetch_bytes // 1024**2} MiB{default} | {floor.median:,.0f} "
            f"({floor.low:,.0f}-{floor.high:,.0f}) | {floor_cpu.median:,.0f} |"
        )
    total = sum(results.profile.values()) or 1
    lines += [
        "",
        f"The worker under py-spy (one more ingest, {total:,} samples at 50 per second), by "
        "where each sample was:",
        "",
        "| where | share of samples |",
        "|---|--:|",
    ]
    for part, count in results.profile.most_common():
        lines.append(f"| {part} | {100 * count / total:.0f} % |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, one round")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(f"the ceiling of one worker: {sizes}", flush=True)
    before = os.getloadavg()[0]
    results = asyncio.run(run(sizes))
    load = f"{before:.1f} before, {os.getloadavg()[0]:.1f} after"
    section = render(results, sizes, machine_line(), load)
    publish(SECTION, section)


if __name__ == "__main__":
    main()
