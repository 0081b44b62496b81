"""Indicator throughput through the worker, and freshness: the time from the POST's
acknowledgement to the indicator being visible through the API. Runs a stack of its own
(Kafka, Redis, one worker, one API) on free ports in a temporary folder."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer

from bench import BENCHMARKS_DOCUMENT, REPOSITORY, code_version, describe_machine, write_section
from learning_record.cli import keys_admin
from learning_record.cli.stack.local_stack import LocalStack, for_local_stack
from learning_record.cli.stack.ports import free_ports
from learning_record.domain import ingest
from learning_record.domain.access import IssuedKey, Scope
from learning_record.platform.settings import (
    ApiSettings,
    KafkaSettings,
    Settings,
    StackSettings,
    WorkerSettings,
)

SECTION = "indicators"
DATASET = REPOSITORY / "tests" / "data" / "fun-mooc-video-statements.json.gz"


def stack_settings(data_dir: Path) -> Settings:
    kafka_port, controller_port, redis_port, api_port = free_ports(4)
    return for_local_stack(
        Settings(
            kafka=KafkaSettings(topic_prefix="bench"),
            api=ApiSettings(port=api_port),
            worker=WorkerSettings(app_id="bench", data_dir=data_dir / "worker"),
            stack=StackSettings(
                data_dir=data_dir,
                kafka_port=kafka_port,
                kafka_controller_port=controller_port,
                redis_port=redis_port,
                redis_persistence=False,
                kafka_libs=REPOSITORY / ".cache/kafka/libs",
            ),
        )
    )


async def consistent_through(http: aiohttp.ClientSession, base: str, key: IssuedKey) -> str:
    async with http.post(
        f"{base}/indicators/query", json={"learners": []}, headers={"x-api-key": key.header_value}
    ) as response:
        return str((await response.json())["consistent_through"])


async def throughput_run(
    settings: Settings, http: aiohttp.ClientSession, base: str, statements: list[bytes]
) -> float:
    """Statements per second from the first record produced to all of them counted."""
    key = await keys_admin.create_key(
        settings,
        tenant=f"b{uuid.uuid4().hex[:8]}",
        name="bench",
        scopes=(Scope.ALL,),
        plan="custom",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers, acks="all", linger_ms=20
    )
    await producer.start()
    started = time.perf_counter()
    headers = [(ingest.TENANT_HEADER, key.record.tenant.encode())]
    for value in statements:
        await producer.send(settings.kafka.statements_topic, value, headers=headers)
    await producer.flush()
    await producer.stop()
    sent_by = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    while (through := await consistent_through(http, base, key)) < sent_by:
        print(f"  … consistent through {through}, waiting for {sent_by}", flush=True)
        await asyncio.sleep(1)
    return len(statements) / (time.perf_counter() - started)


async def freshness_samples(
    settings: Settings, http: aiohttp.ClientSession, base: str, samples: int
) -> list[float]:
    """Milliseconds from each POST's 200 to the learner's count showing it."""
    key = await keys_admin.create_key(
        settings,
        tenant=f"f{uuid.uuid4().hex[:8]}",
        name="bench",
        scopes=(Scope.ALL,),
        plan="custom",
    )
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    agent = {"mbox": "mailto:fresh@example.org"}
    query = {"agent": orjson.dumps(agent).decode()}
    latencies = []
    for index in range(samples):
        statement = {
            "actor": agent,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": f"https://example.org/bench/{index % 7}"},
        }
        async with http.post(f"{base}/statements", json=statement, headers=headers) as response:
            assert response.status == 200, await response.text()
        acknowledged = time.perf_counter()
        while True:
            async with http.get(f"{base}/indicators/learner", params=query, headers=headers) as r:
                if (await r.json())["indicators"]["statements"] == index + 1:
                    break
            await asyncio.sleep(0.001)
        latencies.append((time.perf_counter() - acknowledged) * 1000)
        if (index + 1) % 50 == 0:
            print(
                f"  freshness {index + 1}/{samples}: median {statistics.median(latencies):.1f} ms",
                flush=True,
            )
    return latencies


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(settings: Settings, runs: int, samples: int) -> tuple[list[float], list[float]]:
    with gzip.open(DATASET) as lines:
        statements = [line.strip() for line in lines]
    base = f"http://{settings.api.host}:{settings.api.port}/learningrecord/v1"
    async with aiohttp.ClientSession() as http:
        rates = []
        for run in range(runs):
            print(f"throughput run {run + 1}/{runs}: {len(statements):,} statements", flush=True)
            rates.append(await throughput_run(settings, http, base, statements))
            print(f"  {rates[-1]:,.0f} statements/s", flush=True)
        print(f"freshness: {samples} single-statement POSTs", flush=True)
        return rates, await freshness_samples(settings, http, base, samples)


def render(rates: list[float], latencies: list[float], statements: int) -> str:
    machine = describe_machine()
    quantiles = [*(percentile(latencies, q) for q in (0.5, 0.95, 0.99)), max(latencies)]
    return f"""## Indicator throughput and freshness

Measured by `bench/indicators.py` on a stack of its own (one broker, one Redis, one worker, one
API, default settings: 4 partitions, batches of up to 500 within 10 ms).

- Command: `make bench` (or `.venv/bin/python -m bench.indicators`)
- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC
- Code: {code_version("streams", "serving", "api", "learning_domain")}
{machine.as_markdown()}
**Sustained throughput**: the {statements:,} FUN-MOOC statements produced straight to Kafka, timed
from the first record sent until the indicators' `consistent_through` passes the last one (the
worker validates, writes the statement view, routes, and updates learner, pair and activity
state, mirrored to Redis).

| runs | median statements/s | slowest | fastest |
|--:|--:|--:|--:|
| {len(rates)} | {statistics.median(rates):,.0f} | {min(rates):,.0f} | {max(rates):,.0f} |

**Freshness**: {len(latencies)} statements POSTed one at a time; for each, the time from the 200
to the learner's `statements` count showing it through `GET /indicators/learner` (polled every
millisecond, so the figure includes one API read).

| p50 | p95 | p99 | max |
|--:|--:|--:|--:|
| {" | ".join(f"{value:.1f} ms" for value in quantiles)} |
"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.indicators", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="throughput runs")
    parser.add_argument("--samples", type=int, default=300, help="freshness samples")
    parser.add_argument("--output", type=Path, default=BENCHMARKS_DOCUMENT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lr-bench-") as folder:
        settings = stack_settings(Path(folder))
        with LocalStack(settings) as stack:
            print(f"starting Kafka, Redis, worker and API in {folder}", flush=True)
            stack.start_services()
            stack.start_worker()
            stack.start_api()
            rates, latencies = asyncio.run(measure(settings, args.runs, args.samples))
    section = render(rates, latencies, 22_000)
    print(section)
    write_section(SECTION, section, args.output)
    print(f"wrote the {SECTION!r} section of {args.output}", flush=True)


if __name__ == "__main__":
    main()
