"""Read other processes' ``/metrics``: concurrently, each within a short deadline, so that a
process that does not answer is reported as such and never holds up whoever asked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

# A series: its sample name and its labels.
Series = tuple[str, frozenset[tuple[str, str]]]
Samples = dict[Series, float]

# Our processes export a few hundred lines; anything much larger is not one of them.
MAX_METRICS_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Target:
    process: str  # "<host>:<pid>", as its heartbeat names it
    component: str  # "api" or "worker"
    url: str


@dataclass(frozen=True, slots=True)
class Scraped:
    target: Target
    samples: Samples | None  # None: it did not answer, see error
    error: str | None = None


def parse_samples(text: str) -> Samples:
    """Every sample of a Prometheus text exposition; raises ValueError on a malformed one."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape_all(
    session: aiohttp.ClientSession, targets: Iterable[Target], timeout_s: float
) -> list[Scraped]:
    return list(await asyncio.gather(*(scrape(session, t, timeout_s) for t in targets)))


async def scrape(session: aiohttp.ClientSession, target: Target, timeout_s: float) -> Scraped:
    try:
        async with asyncio.timeout(timeout_s):
            text = await _fetch(session, target.url)
        return Scraped(target, parse_samples(text))
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return Scraped(target, None, _reason(error))


async def _fetch(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url, headers={"Accept": "text/plain"}) as response:
        if response.status != 200:
            raise ValueError(f"answered {response.status}")
        body = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > MAX_METRICS_BYTES:
                raise ValueError(f"answered over {MAX_METRICS_BYTES} bytes")
    return body.decode()


def _reason(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, ValueError):
        return str(error) or "malformed metrics"
    return type(error).__name__
