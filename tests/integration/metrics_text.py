"""Read Prometheus text format as a scraper would."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample, by its name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels``; 0 when absent (a counter never touched)."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def total(text: str, name: str, **labels: str) -> float:
    """Sum of the samples ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(
        v
        for (sample, sample_labels), v in samples(text).items()
        if sample == name and wanted <= sample_labels
    )


async def scrape(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
        return await response.text()


def delta(after: str, before: str, name: str, **labels: str) -> float:
    """How much the sample ``name`` with exactly ``labels`` grew between two scrapes."""
    return value(after, name, **labels) - value(before, name, **labels)
