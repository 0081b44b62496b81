"""Validation throughput: how fast xAPI statements are validated, next to the JSON round trip.

Three workloads run over the same realistic statements, interleaved round by round so that their
medians and ratios come from one run on one machine:

- the JSON round trip (``orjson.loads`` + ``orjson.dumps``), the baseline any path pays;
- ``parse_statement`` alone, from a decoded dict to a model;
- the API's path for one statement: decode, validate, set the LRS properties, encode.

Run from the repository root (``make bench``)::

    .venv/bin/python -m bench.validation [--passes 7]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import statistics
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter_ns, process_time_ns
from typing import Any, Generic, TypeVar

import orjson
import pydantic_core

from bench import (
    BENCHMARKS_DOCUMENT,
    REPOSITORY,
    code_version,
    describe_machine,
    publish,
)
from learning_record.domain import ingest
from learning_record.domain.xapi.statements import parse_statement

SECTION = "validation"
COMMAND = "`make bench` (or `.venv/bin/python -m bench.validation`)"
DATASET = REPOSITORY / "tests" / "data" / "fun-mooc-video-statements.json.gz"

# What the API sets on every accepted statement (api/statements.py): the time of acceptance, and
# the authority of the API key, shaped as in api/auth.py. Written out rather than imported, so
# that measuring the domain does not depend on the HTTP layer.
STORED = ingest.iso_millis(datetime.now(UTC))
AUTHORITY = {
    "objectType": "Agent",
    "account": {"homePage": "urn:learningrecord:api-key", "name": "lrk_bench"},
}

# Above these, the run shared the machine with other work (see "Other load" in the report).
BUSY_LOAD = 1.5
BUSY_SHARE = 0.95

Item = TypeVar("Item")


# --- The workloads: one call per statement, whose result is dropped at once ---------------------


def json_round_trip(line: bytes) -> bytes:
    return orjson.dumps(orjson.loads(line))


def validate(raw: dict[str, Any]) -> object:
    return parse_statement(raw)


def api_path(line: bytes) -> bytes:
    statement = parse_statement(orjson.loads(line))
    stored = statement.with_lrs_fields(id=None, stored=STORED, authority=AUTHORITY)
    return orjson.dumps(stored.to_document())


@dataclass(frozen=True, slots=True)
class Workload(Generic[Item]):
    label: str
    call: Callable[[Item], object]
    inputs: Sequence[Item]


@dataclass(slots=True)
class Measurements:
    """Whole-pass durations and per-statement latencies of one workload, in nanoseconds."""

    workload: Workload[Any]
    passes_ns: list[int]
    passes_cpu_ns: list[int]  # this process's CPU time during each pass
    latencies_ns: array[int]

    @property
    def statements(self) -> int:
        return len(self.workload.inputs)

    @property
    def median_pass_ns(self) -> float:
        return statistics.median(self.passes_ns)

    def rate(self, pass_ns: float) -> float:
        return self.statements / (pass_ns / 1e9)

    @property
    def on_cpu_share(self) -> float:
        """Below 1, other processes took the CPU away from the passes for that share of time."""
        return sum(self.passes_cpu_ns) / sum(self.passes_ns)

    def latency_us(self, percentile: int) -> float:
        return statistics.quantiles(self.latencies_ns, n=100)[percentile - 1] / 1000


def time_pass(workload: Workload[Any]) -> tuple[int, int]:
    """Wall-clock and CPU time of one pass over all the inputs; each result is dropped at once."""
    call = workload.call
    start, start_cpu = perf_counter_ns(), process_time_ns()
    for item in workload.inputs:
        call(item)
    return perf_counter_ns() - start, process_time_ns() - start_cpu


def time_each(workload: Workload[Any], latencies_ns: array[int]) -> None:
    call, clock = workload.call, perf_counter_ns
    for item in workload.inputs:
        start = clock()
        call(item)
        latencies_ns.append(clock() - start)


# --- The run ----------------------------------------------------------------------------------


def load_lines(path: Path) -> list[bytes]:
    with gzip.open(path) as dataset:
        return [line for line in dataset.read().splitlines() if line.strip()]


def measure(workloads: list[Workload[Any]], passes: int) -> list[Measurements]:
    results = [Measurements(w, [], [], array("q")) for w in workloads]
    for result in results:
        time_pass(result.workload)  # warm-up: first-call costs stay out of the figures
    for round_number in range(passes):
        # Rotating the order keeps any drift (heat, neighbours) from favouring one workload.
        shift = round_number % len(results)
        for result in results[shift:] + results[:shift]:
            wall_ns, cpu_ns = time_pass(result.workload)
            result.passes_ns.append(wall_ns)
            result.passes_cpu_ns.append(cpu_ns)
        for result in results[shift:] + results[:shift]:
            time_each(result.workload, result.latencies_ns)
        rates = ", ".join(
            f"{r.rate(r.passes_ns[-1]):,.0f}/s ({r.passes_cpu_ns[-1] / r.passes_ns[-1]:.0%} on CPU)"
            for r in results
        )
        print(f"  round {round_number + 1}/{passes}: {rates}", flush=True)
    return results


@dataclass(frozen=True, slots=True)
class Conditions:
    """What else was going on during the run, for the reader to judge the figures by."""

    started: datetime
    gc_collections: list[int]  # during the timed passes, by generation
    frozen_objects: int
    load_before: float  # 1-minute load averages
    load_after: float


def gc_collections() -> list[int]:
    return [generation["collections"] for generation in gc.get_stats()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.validation", description=__doc__)
    parser.add_argument("--passes", type=int, default=7, help="timed passes per workload")
    parser.add_argument("--output", type=Path, default=BENCHMARKS_DOCUMENT)
    args = parser.parse_args(argv)
    if args.passes < 1:
        parser.error("--passes must be at least 1")

    print(f"loading {DATASET.relative_to(REPOSITORY)}", flush=True)
    lines = load_lines(DATASET)
    decoded = [orjson.loads(line) for line in lines]
    # The inputs live for the whole run: frozen, no full collection walks them. The results are
    # dropped at once (see time_pass): models are tracked by the collector, and keeping a pass's
    # worth of them alive makes it run again and again over them and dominate the figures.
    gc.collect()
    gc.freeze()
    workloads: list[Workload[Any]] = [
        Workload(
            "JSON round trip: `orjson.loads` + `orjson.dumps` (baseline)", json_round_trip, lines
        ),
        Workload("`parse_statement(dict)`", validate, decoded),
        Workload(
            "API path: `loads` → `parse_statement` → `with_lrs_fields` → `dumps(to_document())`",
            api_path,
            lines,
        ),
    ]
    print(f"{len(lines):,} statements, {args.passes} passes per workload (+1 warm-up)", flush=True)
    measure_and_report(workloads, args.passes, render, SECTION, args.output)


def measure_and_report(
    workloads: list[Workload[Any]],
    passes: int,
    render: Callable[[list[Measurements], Conditions], str],
    section_name: str,
    output: Path,
) -> None:
    """Time the workloads under recorded conditions, print the section ``render`` makes of
    them, and write it to ``output`` (shared with ``bench.process``)."""
    collections_before, load_before = gc_collections(), os.getloadavg()[0]
    started = datetime.now(UTC)
    results = measure(workloads, passes)
    conditions = Conditions(
        started=started,
        gc_collections=[a - b for a, b in zip(gc_collections(), collections_before, strict=True)],
        frozen_objects=gc.get_freeze_count(),
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )
    section = render(results, conditions)
    publish(section_name, section, output)
    if conditions.load_before > BUSY_LOAD or min(r.on_cpu_share for r in results) < BUSY_SHARE:
        print("warning: other processes were busy during the run; the figures may be low")


# --- The report -------------------------------------------------------------------------------


def render(results: list[Measurements], conditions: Conditions) -> str:
    baseline = results[0]
    passes = len(baseline.passes_ns)
    statements = baseline.statements
    bytes_each = sum(map(len, baseline.workload.inputs)) / statements
    gcs = " / ".join(map(str, conditions.gc_collections))
    loads = f"{conditions.load_before:.2f} / {conditions.load_after:.2f}"
    return f"""\
## Validation throughput

How many xAPI statements per second the domain validates, and what that costs next to the JSON
round trip that any path pays anyway. Measured by `bench/validation.py`.

- Command: {COMMAND}
- Date: {conditions.started:%Y-%m-%d %H:%M} UTC
- Code: {code_version("learning_domain")}
{describe_machine().as_markdown().rstrip()}
- orjson {orjson.__version__}, pydantic-core {pydantic_core.__version__}

Input: `tests/data/fun-mooc-video-statements.json.gz`, {statements:,} real statements of the
xAPI video profile (see `tests/data/README.md`), {bytes_each:,.0f} bytes each on average as JSON.

{render_table(results)}

How it was measured:

- One process; each workload runs once untimed (warm-up), then {passes} timed passes over all
  statements, the three workloads interleaved in each round with a rotating order. Throughput
  is statements / median pass time (`time.perf_counter_ns` around a whole pass); the spread is
  the slowest and fastest pass. µs/statement is that median pass time per statement, a mean.
- Latency: separate passes, also interleaved, timing each call on its own
  ({passes} x {statements:,} calls per workload); the clock reads add some tens of nanoseconds.
- "Time vs JSON round trip" divides a workload's median pass time by the baseline's.
- `parse_statement` gets dicts decoded before timing; the baseline and the API path get the raw
  bytes of each line. The API path calls `with_lrs_fields(id=None, stored=…, authority=…)` with
  the authority of an API key (the statements already have ids, so no UUID is drawn).
- Garbage collector: after loading the inputs, `gc.collect()` then `gc.freeze()`, which puts
  the {conditions.frozen_objects:,} objects alive at that point (inputs and modules) out of
  reach of any collection; the collector stays enabled, as in the API. No result is kept: each
  call's output is dropped at once. Keeping the models of a pass alive instead is what made the
  collector dominate an earlier measurement: they are tracked containers, so they trigger
  collections that walk all of them. Collections during the timed passes, by generation
  0 / 1 / 2: {gcs}.
- Other load: "on CPU" is the process's CPU time over the wall time of its passes; below about
  95 % other processes took the CPU away for part of the run, and the absolute figures are low.
  A busy neighbour on a sibling CPU can slow the passes without lowering that share, hence the
  1-minute load average, before / after the passes: {loads} (this process counts for about 1).
"""


def render_table(
    results: list[Measurements], unit: str = "statement", baseline_name: str = "JSON round trip"
) -> str:
    """The figures of each workload; the first workload is the baseline the others compare to."""
    baseline = results[0]
    rows = [
        f"| workload | {unit}s/s (median) | spread of passes ({unit}s/s) "
        f"| µs/{unit} | p50 latency (µs) | p99 latency (µs) | time vs {baseline_name} "
        "| on CPU |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        rows.append(
            f"| {r.workload.label} | {r.rate(r.median_pass_ns):,.0f} "
            f"| {r.rate(max(r.passes_ns)):,.0f} to {r.rate(min(r.passes_ns)):,.0f} "
            f"| {r.median_pass_ns / r.statements / 1000:.2f} "
            f"| {r.latency_us(50):.2f} | {r.latency_us(99):.2f} "
            f"| {r.median_pass_ns / baseline.median_pass_ns:.1f}x | {r.on_cpu_share:.0%} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
