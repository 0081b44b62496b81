"""``POST /process/batch`` and the raw-stream normaliser (issue #13): Caliper 1.2 events per
second end to end, and per CPU-second of the process that converts them (the API, or the
worker), beside the in-process figure of ``bench.process``.

Each run is on a tenant of its own on one fresh stack (broker, Redis, one worker, one API):
- HTTP: NDJSON batches of 500 events, 2 clients, until every line has answered;
- raw stream: the events produced to ``<prefix>.statements.raw`` until the worker group has
  committed them all on that topic (its statements are then on their way to the indicators).

Run with ``python -m bench.process_stream [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer

from bench import BENCHMARKS_DOCUMENT, REPOSITORY, code_version, describe_machine, publish
from bench.figures import Spread
from bench.idle import group_cpu_s
from bench.stack import BenchStack, fresh_stack
from learning_record.domain import ingest
from learning_record.domain.access import IssuedKey
from learning_record.ops.consumer_lag import LagReader

SECTION = "process-stream"
CALIPER = REPOSITORY / "tests" / "data" / "process" / "caliper-1.2"
BATCH = 500
CLIENTS = 2


@dataclass(frozen=True, slots=True)
class Sizes:
    events: int
    runs: int


FULL, QUICK = Sizes(events=5000, runs=3), Sizes(events=500, runs=1)


@dataclass(frozen=True, slots=True)
class Run:
    per_s: float  # events per second, wall time
    per_cpu_s: float  # events per CPU-second of the converting process


def caliper_events(count: int) -> list[dict[str, Any]]:
    """The test data's Caliper 1.2 events, in turn, each by a learner of its own."""
    templates = [orjson.loads(path.read_bytes()) for path in sorted(CALIPER.glob("*.json"))]
    events = []
    for index in range(count):
        event = orjson.loads(orjson.dumps(templates[index % len(templates)]))
        event["actor"]["id"] = f"https://example.edu/users/bench-{index}"
        events.append(event)
    return events


async def http_run(stack: BenchStack, key: IssuedKey, events: Sequence[dict[str, Any]]) -> Run:
    bodies = [
        b"\n".join(orjson.dumps({"data": event}) for event in events[start : start + BATCH])
        for start in range(0, len(events), BATCH)
    ]
    headers = {"x-api-key": key.header_value, "Content-Type": "application/x-ndjson"}
    answered = 0
    cpu_before, started = group_cpu_s(stack.api.pid), time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def client(offset: int) -> None:
            nonlocal answered
            for body in bodies[offset::CLIENTS]:
                async with http.post(
                    f"{stack.base_url}/process/batch", data=body, headers=headers
                ) as response:
                    response.raise_for_status()
                    lines = (await response.read()).splitlines()
                answered += sum(orjson.loads(line)["ok"] for line in lines)

        await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    elapsed, cpu = time.perf_counter() - started, group_cpu_s(stack.api.pid) - cpu_before
    if answered != len(events):
        raise RuntimeError(f"{len(events) - answered} events were refused")
    return Run(len(events) / elapsed, len(events) / cpu)


async def raw_run(stack: BenchStack, key: IssuedKey, events: Sequence[dict[str, Any]]) -> Run:
    kafka = stack.settings.kafka
    topic = kafka.raw_statements_topic
    reader = LagReader(kafka, stack.settings.worker.app_id, [topic], cache_s=0)
    await reader.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=20)
    await producer.start()
    try:
        before = sum(p.log_end for p in (await reader.read()).partitions)
        headers = [(ingest.TENANT_HEADER, key.record.tenant.encode())]
        cpu_before, started = group_cpu_s(stack.worker.pid), time.perf_counter()
        for event in events:
            await producer.send(topic, orjson.dumps(event), headers=headers)
        await producer.flush()
        printed = time.monotonic()
        while True:
            lag = await reader.read()
            ended = sum(p.log_end for p in lag.partitions) >= before + len(events)
            if ended and all(p.committed >= p.log_end for p in lag.partitions):
                break
            if time.monotonic() - printed >= 5:
                print(f"    raw stream: {lag.messages:,} records behind", flush=True)
                printed = time.monotonic()
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu = group_cpu_s(stack.worker.pid) - cpu_before
    finally:
        await producer.stop()
        await reader.stop()
    return Run(len(events) / elapsed, len(events) / cpu)


async def measure(sizes: Sizes) -> tuple[list[Run], list[Run]]:
    events = caliper_events(sizes.events)
    http, raw = [], []
    async with fresh_stack("process") as stack:
        for number in range(1, sizes.runs + 1):
            print(f"  run {number}/{sizes.runs}: {sizes.events:,} events", flush=True)
            http.append(await http_run(stack, await stack.new_tenant_key("http"), events))
            print(f"    /process/batch: {http[-1].per_s:,.0f} events/s", flush=True)
            raw.append(await raw_run(stack, await stack.new_tenant_key("raw"), events))
            print(f"    raw stream: {raw[-1].per_s:,.0f} events/s", flush=True)
    return http, raw


def render(http: Sequence[Run], raw: Sequence[Run], sizes: Sizes, load: tuple[float, float]) -> str:
    machine = describe_machine()

    def row(what: str, runs: Sequence[Run]) -> str:
        wall, cpu = Spread.of([r.per_s for r in runs]), Spread.of([r.per_cpu_s for r in runs])
        return (
            f"| {what} | {wall.median:,.0f} ({wall.low:,.0f}-{wall.high:,.0f}) "
            f"| {cpu.median:,.0f} ({cpu.low:,.0f}-{cpu.high:,.0f}) |"
        )

    return "\n".join(
        [
            "## /process/batch and the raw stream (issue #13)",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.process_stream`"
            f" on {machine.cpu_model}, {machine.logical_cpus} CPUs, {machine.python}; code "
            f"{code_version('src', 'bench')}; {sizes.runs} runs of {sizes.events:,} Caliper 1.2 "
            "events (the test data's, each by a learner of its own) on one fresh stack; load "
            f"average {load[0]:.1f} before, {load[1]:.1f} after. Median (lowest-highest).",
            "",
            "| path | events/s, end to end | events per CPU-second of the converting process |",
            "|---|--:|--:|",
            row(f"`POST /process/batch`, NDJSON batches of {BATCH}, {CLIENTS} clients", http),
            row("raw stream: `statements.raw` until the worker committed it", raw),
            "",
            "The in-process figure of the conversion alone is in the `process` section; the raw "
            "stream's CPU is the whole worker's, which also stores and counts the statements "
            "the normaliser forwards.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.process_stream", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one small run")
    parser.add_argument("--output", type=Path, default=BENCHMARKS_DOCUMENT)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(f"/process/batch and the raw stream: {sizes}", flush=True)
    before = os.getloadavg()[0]
    http, raw = asyncio.run(measure(sizes))
    section = render(http, raw, sizes, (before, os.getloadavg()[0]))
    publish(SECTION, section, args.output)


if __name__ == "__main__":
    main()
