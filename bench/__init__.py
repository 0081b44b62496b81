"""Benchmarks: each module measures one thing and rewrites its own section of docs/benchmarks.md.

A benchmark is run from the repository root as ``python -m bench.<module>``. What every one of
them shares lives here: the description of the machine the figures were measured on, and the
rewriting of one section of the document between its marker comments, leaving the other
sections as they are.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pydantic

__all__ = [
    "BENCHMARKS_DOCUMENT",
    "REPOSITORY",
    "Machine",
    "code_version",
    "describe_machine",
    "publish",
    "write_section",
]

REPOSITORY = Path(__file__).resolve().parent.parent
BENCHMARKS_DOCUMENT = REPOSITORY / "docs" / "benchmarks.md"

_PREAMBLE = """\
# Benchmarks

Figures measured by the scripts in `bench/`, each on the machine its section names. Compare
figures only within one section: each section's medians and ratios were measured side by side
in one run.

Each section is written by its script, between its `<!-- bench:NAME:begin -->` and
`<!-- bench:NAME:end -->` comments; a run rewrites only its own section. To add a benchmark,
add a module to `bench/` that calls `bench.write_section` with a new name.
"""


@dataclass(frozen=True, slots=True)
class Machine:
    """What the figures depend on besides the code: hardware and runtime versions."""

    cpu_model: str
    logical_cpus: int
    ram_gib: float
    python: str
    pydantic: str

    def as_markdown(self) -> str:
        return (
            f"- CPU: {self.cpu_model}, {self.logical_cpus} logical CPUs\n"
            f"- RAM: {self.ram_gib:.1f} GiB\n"
            f"- Python {self.python}, pydantic {self.pydantic}\n"
        )


def describe_machine() -> Machine:
    return Machine(
        cpu_model=_proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        logical_cpus=os.cpu_count() or 0,
        ram_gib=_mem_total_kib() / 2**20,
        python=f"{platform.python_implementation()} {platform.python_version()}",
        pydantic=pydantic.VERSION,
    )


def _proc_field(path: str, name: str) -> str | None:
    """The first ``name : value`` line of a /proc file, or None off Linux."""
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    match = re.search(rf"^{re.escape(name)}\s*:\s*(.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _mem_total_kib() -> int:
    total = _proc_field("/proc/meminfo", "MemTotal")  # e.g. "24536820 kB"
    return int(total.split()[0]) if total else 0


def code_version(*measured: str) -> str:
    """The commit measured, flagged when tracked files under the measured paths were modified."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        changed = _git("status", "--porcelain", "--untracked-files=no", "--", *measured)
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    where = ", ".join(f"`{path}`" for path in measured) or "the working tree"
    return f"{commit}, with uncommitted changes in {where}" if changed else commit


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPOSITORY, capture_output=True, text=True, check=True
    ).stdout.strip()


def publish(name: str, body: str, document: Path = BENCHMARKS_DOCUMENT) -> None:
    """What every benchmark does with its figures: print section ``name``, then write it."""
    print(body)
    write_section(name, body, document)
    print(f"wrote the {name!r} section of {document}", flush=True)


def write_section(name: str, body: str, document: Path = BENCHMARKS_DOCUMENT) -> None:
    """Put ``body`` between the markers of section ``name``, leaving the rest of the file intact.

    A section not in the document yet is appended; a missing document is created with the
    preamble. Markers that appear more than once are an error, not something to guess about.
    """
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    text = document.read_text() if document.exists() else _PREAMBLE
    counts = (text.count(begin), text.count(end))
    if counts == (0, 0):
        text = f"{text.rstrip()}\n\n{block}\n"
    elif counts == (1, 1) and text.index(begin) < text.index(end):
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = f"{head}{block}{tail}"
    else:
        raise ValueError(f"{document}: the markers of section {name!r} are not one begin/end pair")
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(text)
