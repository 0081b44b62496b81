"""The suite's section of docs/benchmarks.md, rendered from its figures alone (no I/O), so that
a test can render made-up figures."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench import Machine
from bench.environment import CpuShare
from bench.figures import Spread, ratio

SECTION = "stream"


@dataclass(frozen=True, slots=True)
class Environment:
    date: str
    code: str
    command: str
    quick: bool
    machine: Machine
    os: str
    kafka: str
    redis: str
    ralph: str
    cpu: CpuShare
    minutes: float


@dataclass(frozen=True, slots=True)
class Latency:
    rate: Spread  # requests or statements per second, as achieved
    p50_ms: Spread
    p99_ms: Spread
    errors: int = 0  # answers other than 200, over all runs


@dataclass(frozen=True, slots=True)
class FlatCost:
    small: int
    large: int
    batch_ms_small: Spread
    batch_ms_large: Spread
    sizes_small: dict[str, int]
    sizes_large: dict[str, int]

    def growth(self) -> dict[str, float]:
        """Each value kind's size at ``large`` over its size at ``small``."""
        return {
            name: self.sizes_large.get(name, 0) / size
            for name, size in self.sizes_small.items()
            if size
        }


@dataclass(frozen=True, slots=True)
class Results:
    kafka_statements: int
    kafka_fun_mooc: Spread
    kafka_synthetic: Spread
    synthetic_statements: int
    preload: int  # FUN-MOOC statements counted before the read and idle scenarios
    http_statements: int
    http_acceptance: Spread
    http_end_to_end: Spread
    ralph_statements: int  # in each of its two halves
    ralph_first: Spread
    ralph_second: Spread
    freshness: Latency
    freshness_samples: int
    freshness_drain_s: Spread
    reads_fixed: Latency
    reads_max: Latency
    flat: FlatCost
    idle_cpu_percent: Spread
    idle_window_s: float
    runs: int
    failures: tuple[str, ...] = ()  # scenarios that failed, with the error: their figures are NaN


@dataclass(frozen=True, slots=True)
class Target:
    goal: str
    measured: str
    met: bool  # False too when not measured (a NaN compares false)

    @property
    def verdict(self) -> str:
        if "nan" in self.measured:
            return "**not measured** (scenario failed)"
        return "met" if self.met else "**not met**"


def targets(r: Results) -> list[Target]:
    """Each target of issue #15, judged on the medians."""
    growth = max(r.flat.growth().values(), default=math.nan)
    batch_growth = r.flat.batch_ms_large.median / r.flat.batch_ms_small.median
    peer = ratio(r.http_end_to_end, r.ralph_first)
    return [
        Target(
            "Kafka ingest end to end ≥ 5,000/s, FUN-MOOC",
            f"{r.kafka_fun_mooc.median:,.0f}/s",
            r.kafka_fun_mooc.median >= 5000,
        ),
        Target(
            "Kafka ingest end to end ≥ 5,000/s, synthetic with 5 % voids",
            f"{r.kafka_synthetic.median:,.0f}/s",
            r.kafka_synthetic.median >= 5000,
        ),
        Target(
            "HTTP ingest end to end ≥ 5,000/s",
            f"{r.http_end_to_end.median:,.0f}/s",
            r.http_end_to_end.median >= 5000,
        ),
        Target(
            f"≥ 10x the peer's acceptance rate, end to end (its first {r.ralph_statements:,})",
            f"{peer:.1f}x",
            peer >= 10,
        ),
        Target(
            "Freshness p99 ≤ 250 ms at 1,000 statements/s offered",
            f"{r.freshness.p99_ms.median:,.0f} ms",
            r.freshness.p99_ms.median <= 250,
        ),
        Target(
            f"Flat cost: time per batch at {r.flat.large:,} within 1.5x of that at "
            f"{r.flat.small:,}",
            f"{batch_growth:.2f}x",
            batch_growth <= 1.5,
        ),
        Target(
            f"Flat cost: each state value at {r.flat.large:,} within 1.5x of its size at "
            f"{r.flat.small:,}",
            f"largest growth {growth:.2f}x",
            growth <= 1.5,
        ),
        Target(
            "Idle worker < 2 % of a core",
            f"{r.idle_cpu_percent.median:.1f} %",
            r.idle_cpu_percent.median < 2,
        ),
    ]


def _row(what: str, figure: Spread, unit: str, digits: int = 0) -> str:
    if not figure.measured:
        return f"| {what} | {unit} | failed | | | 0 |"
    cells = [f"{value:,.{digits}f}" for value in (figure.median, figure.low, figure.high)]
    return f"| {what} | {unit} | {' | '.join(cells)} | {len(figure.runs)} |"


def _figures(r: Results) -> str:
    peer_first = ratio(r.http_end_to_end, r.ralph_first)
    peer_second = ratio(r.http_end_to_end, r.ralph_second)
    accept_first = ratio(r.http_acceptance, r.ralph_first)
    n, peer = f"{r.kafka_statements:,}", f"{r.ralph_statements:,}"
    flat_small, flat_large = f"{r.flat.small:,}", f"{r.flat.large:,}"
    per_s = "statements/s"
    rows = [
        "| figure | unit | median | min | max | runs |",
        "|---|---|--:|--:|--:|--:|",
        _row(f"1. Kafka ingest end to end, FUN-MOOC ({n})", r.kafka_fun_mooc, per_s),
        _row(
            f"1. Kafka ingest end to end, synthetic, 5 % voids ({r.synthetic_statements:,})",
            r.kafka_synthetic,
            per_s,
        ),
        _row(f"2. HTTP ingest, ours, accepted ({r.http_statements:,})", r.http_acceptance, per_s),
        _row(f"2. HTTP ingest, ours, end to end ({r.http_statements:,})", r.http_end_to_end, per_s),
        _row(f"3. HTTP ingest, ralph, first {peer} (accepted = stored)", r.ralph_first, per_s),
        _row(f"3. HTTP ingest, ralph, second {peer}", r.ralph_second, per_s),
        _row("4. Freshness: offered rate, as achieved", r.freshness.rate, per_s),
        _row("4. Freshness p50 (200 → indicator shows it)", r.freshness.p50_ms, "ms"),
        _row("4. Freshness p99", r.freshness.p99_ms, "ms"),
        _row("4. Worker drained after the last POST", r.freshness_drain_s, "s", 1),
        _row("5. Read path at a fixed rate: achieved", r.reads_fixed.rate, "requests/s"),
        _row("5. Read path at a fixed rate: p50", r.reads_fixed.p50_ms, "ms", 1),
        _row("5. Read path at a fixed rate: p99", r.reads_fixed.p99_ms, "ms", 1),
        _row("5. Read path, highest sustained rate", r.reads_max.rate, "requests/s"),
        _row("5. Read path at that rate: p50", r.reads_max.p50_ms, "ms", 1),
        _row("5. Read path at that rate: p99", r.reads_max.p99_ms, "ms", 1),
        _row(
            f"6. Time per batch of 500 at {flat_small} statements", r.flat.batch_ms_small, "ms", 1
        ),
        _row(
            f"6. Time per batch of 500 at {flat_large} statements", r.flat.batch_ms_large, "ms", 1
        ),
        _row(f"7. Idle worker over {r.idle_window_s:.0f} s", r.idle_cpu_percent, "% of a core", 2),
    ]
    ratios = (
        f"Ratios ours / ralph (medians): end to end over its first {r.ralph_statements:,}: "
        f"**{peer_first:.1f}x**; over its second {r.ralph_statements:,}: {peer_second:.1f}x; "
        f"our acceptance over its first: {accept_first:.1f}x.\n\n"
        f"Reads answered other than 200: {r.reads_fixed.errors:,} at the fixed rate, "
        f"{r.reads_max.errors:,} at the highest rate (all runs)."
    )
    failed = "".join(f"\n\n**Failed**: {failure}" for failure in r.failures)
    return "\n".join(rows) + "\n\n" + ratios + failed


def _sizes(flat: FlatCost) -> str:
    growth = flat.growth()
    rows = [
        f"| state value (largest of its kind) | bytes at {flat.small:,} "
        f"| bytes at {flat.large:,} | ratio |",
        "|---|--:|--:|--:|",
    ]
    for name, small in flat.sizes_small.items():
        large = flat.sizes_large.get(name, 0)
        rows.append(f"| {name} | {small:,} | {large:,} | {growth.get(name, 0.0):.2f}x |")
    return "\n".join(rows)


def _targets(r: Results) -> str:
    rows = ["| target (#15) | measured (median) | |", "|---|--:|---|"]
    for target in targets(r):
        rows.append(
            f"| {target.goal} | {target.measured} | {'met' if target.met else '**not met**'} |"
        )
    return "\n".join(rows)


def _environment(env: Environment) -> str:
    m, cpu = env.machine, env.cpu
    shared = cpu.others_cores >= 0.1 or cpu.load_before >= 1.0
    load = (
        f"- Other load: over the {env.minutes:.0f} minutes of the run the machine was busy "
        f"{cpu.machine_cores:.2f} cores on average, of which this suite (its stacks, the peer "
        f"and the load generators) {cpu.ours_cores:.2f} and **other processes "
        f"{cpu.others_cores:.2f}**; 1-minute load average {cpu.load_before:.2f} before, "
        f"{cpu.load_after:.2f} after. "
        + (
            "The machine was shared with other work (other engineers' test runs): figures are "
            "lower than on a quiet machine, and spreads wider."
            if shared
            else "The machine was otherwise quiet."
        )
    )
    mode = (
        "`--quick`: small sizes and one run, a smoke test, not figures to quote"
        if env.quick
        else "full"
    )
    return (
        f"- Command: `{env.command}` ({mode})\n"
        f"- Date: {env.date}\n"
        f"- Code: {env.code}\n"
        f"- CPU: {m.cpu_model}, {m.logical_cpus} logical CPUs; RAM {m.ram_gib:.1f} GiB\n"
        f"- OS: {env.os}\n"
        f"- Python {m.python}; Apache Kafka {env.kafka} (KRaft, one broker); "
        f"Redis {env.redis}; ralph-malph {env.ralph}\n"
        f"{load}\n"
    )


def render(results: Results, env: Environment) -> str:
    return f"""## Stream, HTTP, peer, freshness, reads, flat cost, idle

Measured by `bench/suite.py` ({results.runs} run{"s" if results.runs > 1 else ""} of each
figure; a figure is the median of its runs, with the lowest and highest run). Every scenario
but the flat cost runs on a fresh stack started by the bench with the project's launcher
(`LocalStack`: one broker, one Redis, one worker, one API process, default settings) on free
ports in a temporary folder, removed after; the load generators run in the bench's own process
on the same machine.

{_environment(env)}
{_figures(results)}

**Targets of issue #15**

{_targets(results)}

**Flat cost: state values** of one learner alone in its tenant, as held in the first run (the
values hold counts and extremes, so their sizes hardly differ between runs):

{_sizes(results.flat)}

How each figure is measured:

1. {results.kafka_statements:,} statements produced straight to the statements topic, one
   record each (idempotent producer, `acks=all`, `linger.ms` 20), on a tenant of their own per
   run; timed from the first record sent to the first reading, polled every 50 ms, where the
   worker's group has committed every record of the statements topic and of both operation
   topics: what the API's `consistent_through` is computed from, read here without its 1 s
   cache. The worker commits every 2.8 s (Faust's default), so a run ends up to that much after
   the last statement was counted. FUN-MOOC: `tests/data/fun-mooc-video-statements.json.gz`
   (22,000 real-shaped statements, cut to the size shown); synthetic: 2,000 learners, 200
   activities, results, 5 % of the statements void an earlier one. Each run is a tenant of
   its own on the same stack, FUN-MOOC runs first.
2. The FUN-MOOC statements POSTed to `/statements` in batches of 100 by 4 concurrent clients
   (one connection each), bodies serialised before the clock starts; accepted: statements over
   the time to the last 200; end to end: until the worker has committed everything, as in 1.
3. ralph-malph {env.ralph} (`[lrs]` extra, plus `requests`) in a virtualenv of its own in the
   bench's temporary folder, its LRS (uvicorn, one process) with the file backend
   (`RALPH_RUNSERVER_BACKEND=fs`, `FSLRSBackend.default_operation_type` set to append by the
   bench's launcher), Basic auth from a credentials file (`RALPH_AUTH_FILE`); the same client
   as in 2, on a fresh store each run: the FUN-MOOC statements, then the same under new ids.
   Its 200 means stored and readable, so its acceptance is its end to end.
4. Statements offered at a steady 1,000/s, 20 of them every 20 ms (open loop: a slow answer
   does not delay the next POST); every fifth time, one of the 20 goes in a POST of its own as
   a probe: a statement by a learner of its own (10 probes a second). For each probe, the time
   from its 200 to its learner's indicators counting it through the API: one
   `POST /indicators/query` every 10 ms asks for all the probes still waiting (the figure
   includes one API read and up to 10 ms of polling); probes of the first 2 s are left out.
   Clients hold at most 64 connections. {results.freshness_samples:,} probes over all runs.
5. `GET /indicators/learner` for learners drawn at random from the first
   {results.preload:,} FUN-MOOC statements, once the worker has counted them all. Fixed
   rate: open loop, each request sent at its scheduled time and timed from that time, so a
   stall counts in full; at most 64 connections (past 100 requests in flight, the API's Redis
   pool, redis-py's default of 100 connections, is exhausted and it answers 500, seen while
   writing this suite with 256 connections). Highest rate: 16 clients in a closed loop, each
   sending its next request when the last one answered. The load generator is one Python
   process on the same 2 cores as the API it measures: the highest rate is a floor of what
   the API can do.
6. In process, over a `redis-server` of its own (the component-level pipeline,
   `bench/indicator_pipeline.py`, the one the component tests use): the worker's shipped code
   per batch (store and route in the statement view, apply on the learner side and on the
   activity side, mirror the changed values to Redis), without Kafka or Faust. One learner,
   {results.flat.large:,} statements on 50 activities over 30 days, in batches of 500 (5
   records of 100). Time per batch: the median of the 4 batches that follow each point.
7. A fresh stack takes the first {results.preload:,} FUN-MOOC statements straight from Kafka,
   catches up, rests 10 s,
   then the worker's process group's user + system time is read from `/proc` over
   {results.idle_window_s:.0f} s.
"""
