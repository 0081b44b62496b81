"""Scenarios 2 and 3: batches of 100 statements POSTed by 4 concurrent clients, to our API
and to the peer's. Acceptance is counted at the last 200; ours end to end when the worker has
committed everything the batches caused, the peer's at its 200 (it has no later stage)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aiohttp

from bench.stack import BenchStack, RunStart, api_headers, wait_caught_up
from bench.workloads import Statement, batch_bodies

BATCH = 100
CLIENTS = 4


@dataclass(frozen=True, slots=True)
class Posted:
    statements: int
    started: float  # perf_counter at the first request
    accepted: float  # perf_counter at the last 200

    @property
    def acceptance_rate(self) -> float:
        return self.statements / (self.accepted - self.started)


async def post_batches(
    url: str,
    statements: Sequence[Statement],
    headers: Mapping[str, str],
    *,
    label: str,
    clients: int = CLIENTS,
) -> Posted:
    """POST every batch once, ``clients`` at a time, each client on its own connection; any
    answer but 200 stops the run, since a figure over failed requests would mean nothing."""
    bodies = batch_bodies(statements, BATCH)
    next_batch = iter(range(len(bodies)))
    done = 0
    all_headers = {**headers, "Content-Type": "application/json"}
    started = time.perf_counter()
    printed_at = started

    async def client() -> None:
        nonlocal done, printed_at
        connector = aiohttp.TCPConnector(limit=1)
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            for index in next_batch:
                async with http.post(url, data=bodies[index], headers=all_headers) as response:
                    text = await response.text()
                    if response.status != 200:
                        raise RuntimeError(f"{label}: POST answered {response.status}: {text}")
                done += 1
                if (now := time.perf_counter()) - printed_at >= 5:
                    rate = done * BATCH / (now - started)
                    print(f"    {label}: {done}/{len(bodies)} batches, {rate:,.0f}/s so far")
                    printed_at = now

    await asyncio.gather(*(client() for _ in range(clients)))
    return Posted(len(statements), started, time.perf_counter())


@dataclass(frozen=True, slots=True)
class HttpRun:
    acceptance_rate: float
    end_to_end_rate: float


async def ours(stack: BenchStack, statements: Sequence[Statement], label: str) -> HttpRun:
    key = await stack.new_tenant_key("h")
    before = await stack.records_in_statements_topic()
    url = f"{stack.base_url}/statements"
    posted = await post_batches(url, statements, api_headers(key), label=label)
    print(f"    {label}: accepted at {posted.acceptance_rate:,.0f}/s", flush=True)
    # One record per accepted batch (docs/architecture.md, "Topics").
    records = before + -(-len(statements) // BATCH)
    run = RunStart(posted.started, before, BATCH)
    done = await wait_caught_up(stack, records, label=label, run=run)
    return HttpRun(posted.acceptance_rate, len(statements) / (done - posted.started))
