"""Scenario 4: freshness under load. Statements are offered at a steady rate (1,000/s by
default) as POSTs every 20 ms; one statement in a hundred is a probe: a single-statement POST
by a learner of its own. For each probe, the time from its 200 to its learner's indicator
counting it through the API: one ``POST /indicators/query`` every 10 ms asks for every probe
still waiting (so the figure includes one API read and up to 10 ms of polling)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
import orjson

from bench.stack import BenchStack, api_headers, wait_caught_up
from bench.workloads import Statement

TICK_S = 0.02
PROBE_EVERY = 5  # ticks: 10 probes per second at 20 ms ticks
POLL_S = 0.01
WARM_UP_S = 2.0
CONNECTIONS = 64  # below the API's Redis pool of 100 (bench/reads.py)


@dataclass(frozen=True, slots=True)
class Probe:
    agent: dict[str, str]
    acknowledged: float  # perf_counter at its 200
    measured: bool  # sent after the warm-up


@dataclass(frozen=True, slots=True)
class FreshnessRun:
    latencies_ms: list[float]
    offered_rate: float  # statements POSTed per second, as achieved
    drained_s: float  # after the last POST, until the worker had committed everything


async def freshness_run(
    stack: BenchStack,
    background: Sequence[Statement],
    *,
    rate: float,
    seconds: float,
    label: str,
) -> FreshnessRun:
    key = await stack.new_tenant_key("f")
    headers = {**api_headers(key), "Content-Type": "application/json"}
    url = f"{stack.base_url}/statements"
    per_tick = round(rate * TICK_S)
    ticks = round(seconds / TICK_S)
    before = await stack.records_in_statements_topic()
    query_url = f"{stack.base_url}/indicators/query"
    latencies: list[float] = []
    pending: dict[int, Probe] = {}
    sending_done = False
    tasks: list[asyncio.Task[object]] = []
    posted = 0
    records = 0
    source = iter(background)
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def post(body: bytes) -> float:
            async with http.post(url, data=body, headers=headers) as response:
                text = await response.text()
                if response.status != 200:
                    raise RuntimeError(f"{label}: POST answered {response.status}: {text}")
            return time.perf_counter()

        async def probe(number: int, measured: bool) -> None:
            agent = {"mbox": f"mailto:probe-{number}@example.org"}
            statement = {
                "actor": agent,
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": f"https://example.org/bench/probe/{number % 10}"},
            }
            pending[number] = Probe(agent, await post(orjson.dumps(statement)), measured)

        async def poll() -> None:
            """One query for every probe still waiting, every 10 ms: the polling costs the
            API the same however far behind the worker is."""
            while not sending_done or pending or any(not t.done() for t in tasks):
                waiting = list(pending.items())[:500]
                if waiting:
                    body = {"learners": [probe.agent for _, probe in waiting]}
                    async with http.post(query_url, json=body, headers=headers) as response:
                        answer = await response.json()
                    seen = time.perf_counter()
                    for (number, probe), served in zip(waiting, answer["learners"], strict=True):
                        if served["indicators"]["statements"] >= 1:
                            del pending[number]
                            if probe.measured:
                                latencies.append((seen - probe.acknowledged) * 1000)
                await asyncio.sleep(POLL_S)

        poller = asyncio.create_task(poll())
        started = time.perf_counter()
        printed_at = started
        for tick in range(ticks):
            due = started + tick * TICK_S
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            count = per_tick
            if tick % PROBE_EVERY == 0:
                tasks.append(asyncio.create_task(probe(tick, tick * TICK_S >= WARM_UP_S)))
                count -= 1
                records += 1
            batch = [next(source) for _ in range(count)]
            tasks.append(asyncio.create_task(post(orjson.dumps(batch))))
            posted += per_tick
            records += 1
            if (now := time.perf_counter()) - printed_at >= 5:
                done = sorted(latencies)
                p50 = done[len(done) // 2] if done else float("nan")
                print(f"    {label}: {posted:,} offered, median so far {p50:.0f} ms", flush=True)
                printed_at = now
        last_sent = time.perf_counter()
        sending_done = True
        await asyncio.gather(*tasks)
        await poller
        offered = posted / (last_sent - started)
    drained = await wait_caught_up(stack, before + records, label=label)
    return FreshnessRun(latencies, offered, drained - last_sent)
