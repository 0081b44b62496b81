"""Conversion and pseudonymisation throughput of ``process``, next to xAPI validation alone.

One process, one core: each input is one event (a statement, a Caliper event, a SCORM report,
a CSV record) taken through the whole of ``process``: detection, conversion, validation,
keyed pseudonymisation, DASES profile detection, validation again. The baseline is
``parse_statement`` alone on the same FUN-MOOC statements as ``bench/validation.py``. The
workloads are interleaved round by round, as there, so that their ratios come from one run.

Run from the repository root::

    .venv/bin/python -m bench.process [--passes 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pydantic_core

from bench import BENCHMARKS_DOCUMENT, REPOSITORY, code_version, describe_machine
from bench.validation import (
    DATASET,
    Conditions,
    Measurements,
    Workload,
    load_lines,
    measure_and_report,
    render_table,
)
from learning_record.domain.process import load_mapping, process
from learning_record.domain.xapi.statements import parse_statement

SECTION = "process"
COMMAND = "`.venv/bin/python -m bench.process`"
DATA = REPOSITORY / "tests" / "data" / "process"
SECRET = b"bench-tenant-secret-0123456789"
# Inputs per workload: enough for a pass to last a good fraction of a second.
PER_WORKLOAD = 4_000
FUN_MOOC_STATEMENTS = 4_000


def caliper_events() -> list[dict[str, Any]]:
    files = sorted((DATA / "caliper-1.1").glob("*.json")) + sorted(
        (DATA / "caliper-1.2").glob("*.json")
    )
    return [json.loads(path.read_text()) for path in files]


def scorm_reports() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((DATA / "scorm-2004").glob("*.json"))]


def csv_records() -> list[str]:
    """Each record of the CSV export as its own item: the header and one row."""
    header, *rows = (DATA / "custom" / "lms-export.csv").read_text().splitlines()
    return [f"{header}\n{row}\n" for row in rows]


def repeated(items: Sequence[Any], count: int) -> list[Any]:
    return [items[index % len(items)] for index in range(count)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.process", description=__doc__)
    parser.add_argument("--passes", type=int, default=5, help="timed passes per workload")
    parser.add_argument("--output", type=Path, default=BENCHMARKS_DOCUMENT)
    args = parser.parse_args(argv)
    if args.passes < 1:
        parser.error("--passes must be at least 1")

    statements = [orjson.loads(line) for line in load_lines(DATASET)[:FUN_MOOC_STATEMENTS]]
    mapping = load_mapping((DATA / "custom" / "lms-export.yaml").read_text())
    gc.collect()
    gc.freeze()  # the inputs live for the whole run (see bench/validation.py)
    workloads: list[Workload[Any]] = [
        Workload("`parse_statement(dict)`, FUN-MOOC xAPI (baseline)", parse_statement, statements),
        Workload(
            "`process`: FUN-MOOC xAPI, pass-through",
            lambda data: process(data, tenant_secret=SECRET),
            statements,
        ),
        Workload(
            "`process`: Caliper 1.1 and 1.2 events, every profile",
            lambda data: process(data, tenant_secret=SECRET),
            repeated(caliper_events(), PER_WORKLOAD),
        ),
        Workload(
            "`process`: SCORM 2004 reports (1 or 2 statements each)",
            lambda data: process(data, tenant_secret=SECRET),
            repeated(scorm_reports(), PER_WORKLOAD),
        ),
        Workload(
            "`process`: CSV records through the YAML mapping",
            lambda data: process(data, tenant_secret=SECRET, mapping=mapping),
            repeated(csv_records(), PER_WORKLOAD),
        ),
    ]
    print(f"{args.passes} passes per workload (+1 warm-up)", flush=True)
    measure_and_report(workloads, args.passes, render, SECTION, args.output)


def render(results: list[Measurements], conditions: Conditions) -> str:
    passes = len(results[0].passes_ns)
    gcs = " / ".join(map(str, conditions.gc_collections))
    loads = f"{conditions.load_before:.2f} / {conditions.load_after:.2f}"
    return f"""\
## Conversion and pseudonymisation throughput (`process`)

How many input events per second one core takes through `process` (docs/process.md): format
detection, conversion, validation, keyed pseudonymisation, DASES profile detection and
enrichment, validation again. Measured by `bench/process.py`.

- Command: {COMMAND}
- Date: {conditions.started:%Y-%m-%d %H:%M} UTC
- Code: {code_version("src/learning_record/domain", "bench")}
{describe_machine().as_markdown().rstrip()}
- orjson {orjson.__version__}, pydantic-core {pydantic_core.__version__}

Inputs: the first {FUN_MOOC_STATEMENTS:,} FUN-MOOC statements of `bench/validation.py`, and the
files of `tests/data/process/` (see its README) repeated to {PER_WORKLOAD:,} items per workload.
Each item is one event; results are dropped at once.

{render_table(results, unit="event", baseline_name="`parse_statement`")}

This machine is shared with other work, which the "on CPU" column shows. Per core, counting only
the CPU time this process was given (events / median CPU time of a pass):

{render_cpu_rates(results)}

How it was measured: as in the "Validation throughput" section (warm-up, then {passes} timed
passes per workload, interleaved with a rotating order; latencies in separate passes;
`gc.freeze()` after loading the inputs). Collections during the timed passes, by generation
0 / 1 / 2: {gcs}. 1-minute load average before / after: {loads} (this process counts for about
1; other engineers' work shares this machine).
"""


def render_cpu_rates(results: list[Measurements]) -> str:
    rows = ["| workload | events per CPU-second (median) |", "|---|--:|"]
    for r in results:
        cpu_seconds = statistics.median(r.passes_cpu_ns) / 1e9
        rows.append(f"| {r.workload.label} | {r.statements / cpu_seconds:,.0f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
