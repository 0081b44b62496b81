"""Scenario 5: the read path. ``GET /indicators/learner`` for learners drawn at random from
the FUN-MOOC data (already counted), from an async load generator in this process:

- at a fixed rate (open loop: each request is sent at its scheduled time whatever the earlier
  ones do, and its latency runs from that scheduled time, so a stall is not hidden);
- at the highest rate one API process sustains: a closed loop of concurrent clients, each
  sending its next request when the last one answered, as fast as the API answers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
import orjson

from bench.figures import percentile
from bench.stack import api_headers
from learning_record.domain.access import IssuedKey

SATURATING_CLIENTS = 16
# Connections of the fixed-rate generator. Requests beyond them wait in the generator, and the
# wait counts in their latency. More than 100 in flight at once exhaust the API's Redis pool
# (redis-py's default), which answers 500.
CONNECTIONS = 64


@dataclass(frozen=True, slots=True)
class ReadRun:
    rate: float  # answered requests per second
    p50_ms: float
    p99_ms: float
    errors: int  # answers other than 200 (timed like the others)


def _targets(learners: Sequence[dict[str, object]], seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [orjson.dumps(rng.choice(learners)).decode() for _ in range(count)]


async def _get(http: aiohttp.ClientSession, url: str, agent: str, key: IssuedKey) -> bool:
    """Whether the API answered 200."""
    params = {"agent": agent}
    async with http.get(url, params=params, headers=api_headers(key)) as response:
        await response.read()
        return response.status == 200


async def fixed_rate(
    base_url: str,
    key: IssuedKey,
    learners: Sequence[dict[str, object]],
    *,
    rate: float,
    seconds: float,
) -> ReadRun:
    url = f"{base_url}/indicators/learner"
    count = round(rate * seconds)
    agents = _targets(learners, seed=count, count=count)
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(agent: str, due: float) -> None:
            nonlocal errors
            errors += not await _get(http, url, agent, key)
            latencies.append((time.perf_counter() - due) * 1000)

        tasks = []
        started = time.perf_counter()
        for index, agent in enumerate(agents):
            due = started + index / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(agent, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    return ReadRun(count / elapsed, p50, p99, errors)


async def saturated(
    base_url: str, key: IssuedKey, learners: Sequence[dict[str, object]], *, seconds: float
) -> ReadRun:
    url = f"{base_url}/indicators/learner"
    agents = _targets(learners, seed=7, count=10_000)
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=SATURATING_CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        deadline = started + seconds

        async def client(offset: int) -> None:
            nonlocal errors
            index = offset
            while (sent := time.perf_counter()) < deadline:
                errors += not await _get(http, url, agents[index % len(agents)], key)
                latencies.append((time.perf_counter() - sent) * 1000)
                index += SATURATING_CLIENTS

        await asyncio.gather(*(client(n) for n in range(SATURATING_CLIENTS)))
        elapsed = time.perf_counter() - started
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    return ReadRun(len(latencies) / elapsed, p50, p99, errors)
