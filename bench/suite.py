"""The stream benchmark suite (issue #15): Kafka and HTTP ingest end to end, the peer (ralph)
in the same run, freshness under load, the read path, flat cost and an idle worker. Prints
progress, then rewrites its section of docs/benchmarks.md.

Run from the repository root (``make bench``, or ``make bench BENCH_ARGS=--quick``)::

    .venv/bin/python -m bench.suite [--quick] [--output docs/benchmarks.md]

``--quick`` runs small sizes once: for development, not for figures to quote.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench import BENCHMARKS_DOCUMENT, code_version, describe_machine, publish
from bench.environment import CpuAccount, kafka_version, os_description, redis_version
from bench.figures import NOT_MEASURED, Spread, percentile
from bench.flat_cost import SMALL, FlatRun, flat_run, redis_of_its_own
from bench.freshness import FreshnessRun, freshness_run
from bench.http_ingest import HttpRun, ours, post_batches
from bench.idle import idle_share
from bench.kafka_ingest import produced_rate
from bench.ralph_peer import RALPH, RalphInstall, auth_headers, statements_stored
from bench.reads import ReadRun, fixed_rate, saturated
from bench.report import SECTION, Environment, FlatCost, Latency, Results, render
from bench.stack import fresh_stack
from bench.workloads import Statement, fun_mooc, synthetic_with_voids, with_new_ids

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sizes:
    runs: int
    kafka: int  # FUN-MOOC statements per Kafka run, per HTTP run, and per half of the peer's
    synthetic: int  # synthetic statements per Kafka run
    freshness_s: float
    reads_s: float  # per read run, at the fixed rate and at the highest
    preload: int  # FUN-MOOC statements counted before the read and idle scenarios
    flat_large: int
    idle_s: float


# About 30 minutes on a 2-core machine as fast as the stream was when the suite was written.
FULL = Sizes(3, 22_000, 5_500, 15.0, 10.0, 5_500, 100_000, 60.0)
QUICK = Sizes(1, 2_000, 1_000, 6.0, 3.0, 1_000, 5_000, 10.0)
OFFERED_RATE = 1000.0  # statements/s, for freshness
READ_RATE = 1000.0  # requests/s, for the read path at a fixed rate


def progress(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


async def each_run(
    sizes: Sizes,
    what: str,
    measure: Callable[[str], Coroutine[Any, Any, T]],
    show: Callable[[T], str],
) -> list[T]:
    results = []
    for run in range(sizes.runs):
        label = f"{what}, run {run + 1}/{sizes.runs}"
        progress(label)
        results.append(await measure(label))
        progress(f"  {label}: {show(results[-1])}")
    return results


async def kafka_scenario(sizes: Sizes, data: list[Statement]) -> tuple[Spread, Spread]:
    progress("scenario 1: Kafka ingest end to end")
    synthetic = synthetic_with_voids(sizes.synthetic, seed=15)
    async with fresh_stack("kafka") as stack:
        fun = await each_run(
            sizes, "Kafka, FUN-MOOC", lambda label: produced_rate(stack, data, label), _rate
        )
        synth = await each_run(
            sizes,
            "Kafka, synthetic with 5 % voids",
            lambda label: produced_rate(stack, synthetic, label),
            _rate,
        )
    return Spread.of(fun), Spread.of(synth)


async def http_scenario(sizes: Sizes, data: list[Statement]) -> list[HttpRun]:
    progress("scenario 2: HTTP ingest end to end, batches of 100, 4 clients")
    async with fresh_stack("http") as stack:
        return await each_run(
            sizes,
            "HTTP, ours",
            lambda label: ours(stack, data, label),
            lambda run: (
                f"accepted {run.acceptance_rate:,.0f}/s, end to end {run.end_to_end_rate:,.0f}/s"
            ),
        )


async def ralph_scenario(
    sizes: Sizes, ralph: RalphInstall, data: list[Statement], folder: Path
) -> tuple[Spread, Spread]:
    progress("scenario 3: the peer, ralph-malph with its file backend")
    first: list[float] = []
    second: list[float] = []
    for run in range(sizes.runs):
        label = f"HTTP, ralph, run {run + 1}/{sizes.runs}"
        progress(label)
        store = folder / f"ralph-store-{run}"
        with ralph.serving(store) as url:
            for half, rates in (("first", first), ("second", second)):
                statements = with_new_ids(data, f"ralph-{half}")
                posted = await post_batches(
                    url, statements, auth_headers(), label=f"{label} {half}"
                )
                rates.append(posted.acceptance_rate)
                progress(f"  {label}: {half} {len(statements):,} at {rates[-1]:,.0f}/s")
        if (held := statements_stored(store)) != 2 * len(data):
            raise RuntimeError(
                f"{label}: the peer holds {held:,} statements, not {2 * len(data):,}"
            )
    return Spread.of(first), Spread.of(second)


async def freshness_scenario(sizes: Sizes, data: list[Statement]) -> tuple[Latency, int, Spread]:
    progress(f"scenario 4: freshness at {OFFERED_RATE:,.0f} statements/s offered")
    background = data + with_new_ids(data, "freshness")
    async with fresh_stack("freshness") as stack:
        runs = await each_run(
            sizes,
            "freshness",
            lambda label: freshness_run(
                stack, background, rate=OFFERED_RATE, seconds=sizes.freshness_s, label=label
            ),
            _freshness_line,
        )
    latency = Latency(
        Spread.of([run.offered_rate for run in runs]),
        Spread.of([percentile(run.latencies_ms, 0.5) for run in runs]),
        Spread.of([percentile(run.latencies_ms, 0.99) for run in runs]),
    )
    samples = sum(len(run.latencies_ms) for run in runs)
    return latency, samples, Spread.of([run.drained_s for run in runs])


def _freshness_line(run: FreshnessRun) -> str:
    p50, p99 = percentile(run.latencies_ms, 0.5), percentile(run.latencies_ms, 0.99)
    return (
        f"offered {run.offered_rate:,.0f}/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
        f"drained in {run.drained_s:.1f} s"
    )


def _latency(runs: Sequence[ReadRun]) -> Latency:
    return Latency(
        Spread.of([run.rate for run in runs]),
        Spread.of([run.p50_ms for run in runs]),
        Spread.of([run.p99_ms for run in runs]),
        sum(run.errors for run in runs),
    )


def _read_line(run: ReadRun) -> str:
    shown = f"{run.rate:,.0f} requests/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms"
    return f"{shown}, {run.errors:,} errors"


async def reads_scenario(sizes: Sizes, data: list[Statement]) -> tuple[Latency, Latency]:
    progress("scenario 5: read path, GET /indicators/learner")
    learners = list({str(s["actor"]): s["actor"] for s in data}.values())
    async with fresh_stack("reads") as stack:
        key = await stack.new_tenant_key("r")
        await produced_rate(stack, data, "reads: loading", key)
        fixed = await each_run(
            sizes,
            f"reads at {READ_RATE:,.0f}/s",
            lambda _: fixed_rate(
                stack.base_url, key, learners, rate=READ_RATE, seconds=sizes.reads_s
            ),
            _read_line,
        )
        highest = await each_run(
            sizes,
            "reads at the highest rate",
            lambda _: saturated(stack.base_url, key, learners, seconds=sizes.reads_s),
            _read_line,
        )
    return _latency(fixed), _latency(highest)


async def idle_scenario(sizes: Sizes, data: list[Statement]) -> Spread:
    progress(f"scenario 7: idle worker over {sizes.idle_s:.0f} s")
    async with fresh_stack("idle") as stack:
        await produced_rate(stack, data, "idle: loading")
        await asyncio.sleep(10)
        shares = await each_run(
            sizes,
            "idle",
            lambda _: idle_share(stack.worker.pid, sizes.idle_s),
            lambda share: f"{share:.2f} % of a core",
        )
    return Spread.of(shares)


async def flat_scenario(sizes: Sizes) -> FlatCost:
    progress(f"scenario 6: flat cost, one learner up to {sizes.flat_large:,} statements")
    with redis_of_its_own() as redis_url:
        runs: list[FlatRun] = await each_run(
            sizes,
            "flat cost",
            lambda label: flat_run(redis_url, sizes.flat_large, label=label),
            _flat_line,
        )
    return FlatCost(
        runs[0].small,
        runs[0].large,
        Spread.of([run.batch_ms_small for run in runs]),
        Spread.of([run.batch_ms_large for run in runs]),
        runs[0].sizes_small,
        runs[0].sizes_large,
    )


def _flat_line(run: FlatRun) -> str:
    return (
        f"batch {run.batch_ms_small:.1f} ms at {run.small:,}, "
        f"{run.batch_ms_large:.1f} ms at {run.large:,}"
    )


def _rate(rate: float) -> str:
    return f"{rate:,.0f} statements/s"


class Scenarios:
    """Runs each scenario in turn; one that fails is reported as failed, and the others still
    run: a 30-minute suite should not lose every figure to one error."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    async def attempt(self, what: str, scenario: Awaitable[T], fallback: T) -> T:
        try:
            return await scenario
        except Exception as error:
            traceback.print_exc()
            progress(f"{what} FAILED ({type(error).__name__}: {error}); going on")
            self.failures.append(f"{what}: {type(error).__name__}: {error}")
            return fallback


async def measure(sizes: Sizes, folder: Path) -> tuple[Results, str]:
    data = fun_mooc()[: sizes.kafka]
    missing, no_latency = NOT_MEASURED, Latency(NOT_MEASURED, NOT_MEASURED, NOT_MEASURED)
    scenarios = Scenarios()
    progress(f"installing the peer ({RALPH}) in {folder}")
    ralph = RalphInstall(folder)
    ralph_version = await scenarios.attempt(
        "installing ralph", asyncio.to_thread(ralph.install), ""
    )
    kafka_fun, kafka_synthetic = await scenarios.attempt(
        "1. Kafka ingest", kafka_scenario(sizes, data), (missing, missing)
    )
    http_runs = await scenarios.attempt("2. HTTP ingest", http_scenario(sizes, data), [])
    ralph_first, ralph_second = (missing, missing)
    if ralph_version:
        ralph_first, ralph_second = await scenarios.attempt(
            "3. ralph", ralph_scenario(sizes, ralph, data, folder), (missing, missing)
        )
    freshness, samples, drained = await scenarios.attempt(
        "4. freshness", freshness_scenario(sizes, fun_mooc()), (no_latency, 0, missing)
    )
    reads_fixed, reads_max = await scenarios.attempt(
        "5. reads", reads_scenario(sizes, data[: sizes.preload]), (no_latency, no_latency)
    )
    no_flat = FlatCost(SMALL, sizes.flat_large, missing, missing, {}, {})
    flat = await scenarios.attempt("6. flat cost", flat_scenario(sizes), no_flat)
    idle = await scenarios.attempt("7. idle", idle_scenario(sizes, data[: sizes.preload]), missing)
    results = Results(
        kafka_statements=len(data),
        kafka_fun_mooc=kafka_fun,
        kafka_synthetic=kafka_synthetic,
        synthetic_statements=sizes.synthetic,
        preload=sizes.preload,
        http_statements=len(data),
        http_acceptance=Spread.of([run.acceptance_rate for run in http_runs]),
        http_end_to_end=Spread.of([run.end_to_end_rate for run in http_runs]),
        ralph_statements=len(data),
        ralph_first=ralph_first,
        ralph_second=ralph_second,
        freshness=freshness,
        freshness_samples=samples,
        freshness_drain_s=drained,
        reads_fixed=reads_fixed,
        reads_max=reads_max,
        flat=flat,
        idle_cpu_percent=idle,
        idle_window_s=sizes.idle_s,
        runs=sizes.runs,
        failures=tuple(scenarios.failures),
    )
    return results, ralph_version or "not installed"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--output", type=Path, default=BENCHMARKS_DOCUMENT)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.monotonic()
    account = CpuAccount()
    progress(f"stream benchmark suite, {'quick' if args.quick else 'full'}: {sizes}")
    with tempfile.TemporaryDirectory(prefix="lr-bench-") as folder:
        results, ralph_version = asyncio.run(measure(sizes, Path(folder)))
    environment = Environment(
        date=f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        code=code_version("src", "bench"),
        command="make bench" + (" BENCH_ARGS=--quick" if args.quick else ""),
        quick=args.quick,
        machine=describe_machine(),
        os=os_description(),
        kafka=kafka_version(),
        redis=redis_version(),
        ralph=ralph_version,
        cpu=account.close(),
        minutes=(time.monotonic() - started) / 60,
    )
    section = render(results, environment)
    publish(SECTION, section, args.output)


if __name__ == "__main__":
    main()
