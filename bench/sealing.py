"""The cost of sealing the statement log (docs/privacy.md): CPU per statement of sealing in the
API and of opening in the worker, and the worker's throughput on sealed records beside the same
records in clear, side by side in one run.

The statements are the FUN-MOOC ones as the API stores them (``stored`` and the key's
``authority`` set, validated by the API's model), one record per batch of 100: what the API
writes for a POST of 100 statements.

1. In process, on one thread of this process (its CPU time), with a key per learner made by
   ``DataKey.new``: the API's work on a record, sealed (``sealing.cut``, the key lookup,
   ``sealing.seal`` and the record serialised, as ``sealed_records.sealed_record`` does) beside
   in clear (the record serialised), and the worker's, sealed (``sealing.parsed_record``, the key
   lookup, ``sealing.opened``) beside in clear (``ingest.loads_record``). Median of several
   repetitions over every statement.
2. On one fresh stack (broker, Redis, one worker, one API): the same statements produced as the
   API produces them (one record per batch, signed, the ``lr-define`` header set, and
   ``lr-sealed`` on the sealed ones, sealed by a ``LearnerKeys`` of the bench's own), in clear
   and sealed alternately, each round on new ids, timed from the first record sent until the
   worker group has committed everything they caused (the view and the indicators have them),
   with the CPU time each part of the stack spent meanwhile, and the machine's other processes
   (the figures of a shared machine say how shared it was). A record parked in the dead letters
   fails the run: its figures would not be those of stored statements.

Run ``python -m bench.sealing`` (about 6 minutes; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from bench import code_version, publish
from bench.cluster import role_of
from bench.environment import kafka_version, os_description
from bench.figures import Spread, ratio
from bench.hostile import machine_line
from bench.idle import group_cpu_s
from bench.stack import BenchStack, RunStart, fresh_stack, wait_caught_up
from bench.workloads import Statement, fun_mooc, with_new_ids
from learning_record.domain import ingest, sealing
from learning_record.domain.access import key_authority
from learning_record.domain.data_keys import DataKey, KeyRef
from learning_record.domain.xapi.statements import parse_statements
from learning_record.store.learner_keys import LearnerKeys
from learning_record.store.sealed_records import SEALED, sealed_record

SECTION = "sealing"
BATCH = 100  # statements per record: one POST of 100
KINDS = ("clear", "sealed")
STACK_PARTS = ("kafka", "redis", "worker", "api")
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
# The steps of the in-process figures, by side, as (name, what the report calls it).
API_STEPS = (
    ("cut", "cut: the owner's pseudonym (cached HMAC), the other persons cut out"),
    ("keys", "key lookup"),
    ("seal", "seal (AES-256-GCM, base64) and serialise the record"),
)
WORKER_STEPS = (
    ("parse", "parse the sealed record (pydantic)"),
    ("keys", "key lookup"),
    ("open", "open (AES-256-GCM) and parse each statement (`loads_bounded`)"),
)


@dataclass(frozen=True, slots=True)
class Sizes:
    statements: int
    rounds: int  # stream rounds, each one run of each kind
    repetitions: int  # of the in-process figures


FULL = Sizes(statements=22_000, rounds=7, repetitions=7)
QUICK = Sizes(statements=2_000, rounds=1, repetitions=3)


# --- The records, as the API writes them ----------------------------------------------------


def api_documents(statements: Sequence[Statement], key_id: str, stored: str) -> list[Statement]:
    """The statements as the API stores them for the key ``key_id``: validated by its model,
    ``stored`` and the key's authority set, a timestamp defaulted (``services.ingest``)."""
    return [
        ingest.with_default_timestamp(
            statement.with_lrs_fields(
                id=None, stored=stored, authority=key_authority(key_id)
            ).to_document()
        )
        for statement in parse_statements(list(statements))
    ]


def batched(documents: Sequence[Statement], size: int = BATCH) -> list[list[Statement]]:
    return [list(documents[start : start + size]) for start in range(0, len(documents), size)]


def record_headers(
    signing_key: bytes, tenant: str, value: bytes, *, sealed: bool
) -> list[tuple[str, bytes]]:
    """The headers ``KafkaStatementLog.append`` sets (a key that may define), ``lr-sealed``
    left out of a record in clear: the format before sealing, which the worker still reads."""
    headers = [
        (ingest.TENANT_HEADER, tenant.encode()),
        (ingest.SOURCE_HEADER, ingest.SOURCE_API),
        (ingest.SIGNATURE_HEADER, ingest.signature(signing_key, tenant, value)),
        (ingest.DEFINE_HEADER, b"1"),
    ]
    return [*headers, (sealing.SEALED_HEADER, SEALED)] if sealed else headers


@dataclass(frozen=True, slots=True)
class Record:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


async def records_of(
    keys: LearnerKeys, signing_key: bytes, tenant: str, documents: Sequence[Statement], kind: str
) -> list[Record]:
    """One record per batch, keyed by its first id as the API keys it."""
    records = []
    for batch in batched(documents):
        sealed = kind == "sealed"
        value = await sealed_record(keys, tenant, batch) if sealed else orjson.dumps(batch)
        headers = record_headers(signing_key, tenant, value, sealed=sealed)
        records.append(Record(str(batch[0]["id"]).encode(), value, headers))
    return records


# --- 1. In process --------------------------------------------------------------------------


@dataclass
class InProcess:
    """CPU microseconds per statement, each repetition, by side and step ("total" too)."""

    api: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    worker: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


class _Steps:
    """Thread CPU time spent in each step, over a repetition."""

    def __init__(self) -> None:
        self.ns: dict[str, int] = defaultdict(int)
        self._last = time.thread_time_ns()

    def mark(self, step: str) -> None:
        now = time.thread_time_ns()
        self.ns[step] += now - self._last
        self._last = now

    def skip(self) -> None:
        self._last = time.thread_time_ns()


def in_process(
    documents: Sequence[Statement],
    tenant: str,
    pseudonymise: Callable[[str], str],
    repetitions: int,
    progress: Callable[[str], None] = print,
) -> InProcess:
    """Seal and open every batch of ``documents`` with the domain's functions, as the API and
    the worker do, beside the same in clear; one untimed pass first (caches, keys, a check
    that every statement opens to what was sealed), then ``repetitions`` timed ones."""
    batches = batched(documents)
    learners = set[str]().union(*(sealing.cut(d, pseudonymise).learners() for d in documents))
    by_learner: dict[tuple[str, str], dict[str, DataKey]] = {}
    for pseudonym in learners:
        key = DataKey.new(pseudonym)
        by_learner[(tenant, pseudonym)] = {key.ref.key_id: key}
    results = InProcess()
    for repetition in range(repetitions + 1):
        api, worker = _Steps(), _Steps()
        for batch in batches:
            sealed_value = _api_sealed(api, tenant, batch, pseudonymise, by_learner)
            api.skip()
            clear_value = orjson.dumps(batch)
            api.mark("clear")
            worker.skip()
            opened = _worker_opened(worker, tenant, sealed_value, by_learner)
            worker.skip()
            read = ingest.loads_record(clear_value)
            worker.mark("clear")
            if repetition == 0 and not (opened == read == batch):
                raise AssertionError("a sealed batch did not open to the statements sealed")
        if repetition == 0:
            continue
        for steps, figures in ((api, results.api), (worker, results.worker)):
            for step, ns in steps.ns.items():
                figures[step].append(ns / 1000 / len(documents))
            figures["total"].append(
                sum(ns for step, ns in steps.ns.items() if step != "clear") / 1000 / len(documents)
            )
        sealed_us, open_us = results.api["total"][-1], results.worker["total"][-1]
        progress(
            f"    repetition {repetition}/{repetitions}: seal {sealed_us:.1f} µs, "
            f"open {open_us:.1f} µs per statement"
        )
    return results


def _api_sealed(
    steps: _Steps,
    tenant: str,
    batch: Sequence[Statement],
    pseudonymise: Callable[[str], str],
    by_learner: Mapping[tuple[str, str], Mapping[str, DataKey]],
) -> bytes:
    """``sealed_records.sealed_record`` with ``LearnerKeys.sealing_keys``'s lookup of known
    learners, step by step."""
    steps.skip()
    cuts = [sealing.cut(document, pseudonymise) for document in batch]
    steps.mark("cut")
    learners = set[str]().union(*(statement.learners() for statement in cuts))
    keys = {
        pseudonym: next(iter(by_learner[(tenant, pseudonym)].values())) for pseudonym in learners
    }
    steps.mark("keys")
    value = orjson.dumps([sealing.seal(tenant, statement, keys) for statement in cuts])
    steps.mark("seal")
    return value


def _worker_opened(
    steps: _Steps,
    tenant: str,
    value: bytes,
    by_learner: Mapping[tuple[str, str], Mapping[str, DataKey]],
) -> list[dict[str, Any] | None]:
    """``sealed_records.opened_record`` with ``LearnerKeys.opening_keys``'s lookup of known
    keys, step by step."""
    steps.skip()
    statements = sealing.parsed_record(value)
    steps.mark("parse")
    refs = set[KeyRef]().union(*(statement.refs() for statement in statements))
    keys = {ref: by_learner[(tenant, ref.pseudonym)][ref.key_id] for ref in refs}
    steps.mark("keys")
    opened = [sealing.opened(tenant, statement, keys) for statement in statements]
    steps.mark("open")
    return opened


# --- 2. The stream --------------------------------------------------------------------------


@dataclass
class Stream:
    """By kind: statements/s end to end, each run; CPU µs per statement, by part, each run."""

    rates: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu_us: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    # Cores the machine's other processes (neither the stack nor the bench) used, each run.
    others: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def cpu(self, kind: str, part: str) -> Spread:
        return Spread.of(self.cpu_us[kind][part])

    def stack_cpu(self, kind: str) -> Spread:
        """The whole stack's CPU per statement, each run: the sum of its parts."""
        runs = zip(*(self.cpu_us[kind][part] for part in STACK_PARTS), strict=True)
        return Spread.of([sum(parts) for parts in runs])


@dataclass(frozen=True, slots=True)
class Run:
    rate: float  # statements/s, end to end
    cpu_us: dict[str, float]  # by part of the stack, per statement
    others_cores: float  # CPU of every other process of the machine, in cores, over the run


def machine_busy_s() -> float:
    """CPU seconds the machine has been busy since boot, every core (/proc/stat: all but idle
    and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / _TICKS_PER_S


async def produced(
    stack: BenchStack, records: Sequence[Record], statements: int, label: str
) -> Run:
    """Produce the records as the API does (acknowledged by every in-sync replica) and time
    them until the worker group has committed everything they caused."""
    settings = stack.settings
    before = await stack.records_in_statements_topic()
    cpu_before = {process.name: group_cpu_s(process.pid) for process in stack.processes}
    machine_before, own_before, wall_before = (
        machine_busy_s(),
        time.process_time(),
        time.monotonic(),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=20,
    )
    await producer.start()
    try:
        started = time.perf_counter()
        for record in records:
            await producer.send(
                settings.kafka.statements_topic,
                record.value,
                key=record.key,
                headers=record.headers,
            )
        await producer.flush()
    finally:
        await producer.stop()
    run = RunStart(started, before, BATCH)
    done = await wait_caught_up(stack, before + len(records), label=label, run=run)
    spent: dict[str, float] = defaultdict(float)
    for process in stack.processes:
        spent[role_of(process.name)] += group_cpu_s(process.pid) - cpu_before[process.name]
    machine = machine_busy_s() - machine_before
    others = machine - sum(spent.values()) - (time.process_time() - own_before)
    return Run(
        statements / (done - started),
        {part: 1e6 * seconds / statements for part, seconds in spent.items()},
        max(others, 0.0) / (time.monotonic() - wall_before),
    )


async def dead_letters(stack: BenchStack) -> int:
    """Records on the dead-letter topic: none, or the figures are not of stored statements."""
    reader = stack.lag_reader()
    await reader.start()
    try:
        return sum((await reader.end_offsets(stack.settings.kafka.dead_letter_topic)).values())
    finally:
        await reader.stop()


def progress(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


def alternated(rounds: int) -> Iterator[tuple[int, str]]:
    """Each round runs both kinds, starting with the other kind than the round before, so that
    neither always runs first: (round, kind)."""
    for number in range(1, rounds + 1):
        for kind in KINDS if number % 2 else reversed(KINDS):
            yield number, kind


async def run(sizes: Sizes) -> tuple[InProcess, Stream]:
    statements = fun_mooc()[: sizes.statements]
    stream = Stream()
    async with fresh_stack("sealing") as stack:
        key = await stack.new_tenant_key("sealing")
        tenant = key.record.tenant
        stored = ingest.iso_millis(datetime.now(UTC))
        documents = api_documents(statements, key.record.key_id, stored)
        signing_key = stack.settings.ingest.signing_key.get_secret_value().encode()
        keys = LearnerKeys(stack.settings)
        await keys.start()
        try:
            progress(
                f"in process: sealing and opening {len(documents):,} statements, "
                f"{sizes.repetitions} repetitions"
            )
            pseudonymise = keys.pseudonymiser(tenant)
            figures = await asyncio.to_thread(
                in_process, documents, tenant, pseudonymise, sizes.repetitions, progress
            )
            progress("making every learner's data key, as the API's first sealed record does")
            for batch in batched(documents):
                await sealed_record(keys, tenant, batch)
            for kind in KINDS:
                label = f"warm-up, {kind}"
                progress(label)
                warm = with_new_ids(documents[:2000], label)
                await produced(
                    stack, await records_of(keys, signing_key, tenant, warm, kind), len(warm), label
                )
            for number, kind in alternated(sizes.rounds):
                label = f"round {number}/{sizes.rounds}, {kind}"
                data = with_new_ids(documents, label)
                records = await records_of(keys, signing_key, tenant, data, kind)
                progress(f"{label}: {len(records):,} records of {BATCH} statements")
                result = await produced(stack, records, len(data), label)
                stream.rates[kind].append(result.rate)
                stream.others[kind].append(result.others_cores)
                for part, us in result.cpu_us.items():
                    stream.cpu_us[kind][part].append(us)
                progress(
                    f"  {label}: {result.rate:,.0f} statements/s, "
                    f"worker {result.cpu_us['worker']:,.0f} µs per statement; other processes "
                    f"{result.others_cores:.2f} cores"
                )
            if parked := await dead_letters(stack):
                raise RuntimeError(f"{parked} records went to the dead letters: no figures")
        finally:
            await keys.stop()
    return figures, stream


# --- The report -----------------------------------------------------------------------------


def render(figures: InProcess, stream: Stream, sizes: Sizes, machine: str, load: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    clear, sealed = Spread.of(stream.rates["clear"]), Spread.of(stream.rates["sealed"])
    rate_ratio = ratio(sealed, clear)
    paired = [s / c for c, s in zip(stream.rates["clear"], stream.rates["sealed"], strict=True)]
    worker = {kind: stream.cpu(kind, "worker") for kind in KINDS}
    whole = {kind: stream.stack_cpu(kind) for kind in KINDS}
    seal_us = Spread.of(figures.api["total"]).median
    open_us = Spread.of(figures.worker["total"]).median
    api_added = seal_us - Spread.of(figures.api["clear"]).median
    worker_added = open_us - Spread.of(figures.worker["clear"]).median
    worker_in_clear = worker["clear"].median
    lines = [
        "## The cost of sealing the statement log",
        "",
        f"Measured by `python -m bench.sealing` on {when}, code {code_version('src', 'bench')}; "
        f"{machine}; {os_description()}; Kafka {kafka_version()}; load average {load}.",
        "",
        f"The {sizes.statements:,} FUN-MOOC statements as the API stores them (validated, "
        "`stored` and the key's `authority` set), one record per batch of "
        f"{BATCH} (what the API writes for a POST of {BATCH}). Their one person is the actor: "
        "each statement is one sealed part (a statement naming other persons has one more part "
        "each). Medians, lowest and highest in brackets.",
        "",
        f"**In process**, CPU time of one thread, {sizes.repetitions} repetitions over every "
        "statement, each learner's key made by `DataKey.new` and known (the lookup is "
        "`LearnerKeys`'s dictionary lookup):",
        "",
        "| side | step | µs per statement |",
        "|---|---|--:|",
    ]
    for side, steps, what in (
        ("API", API_STEPS, figures.api),
        ("worker", WORKER_STEPS, figures.worker),
    ):
        for step, name in steps:
            lines.append(f"| {side}, sealed | {name} | {_us(Spread.of(what[step]))} |")
        total, in_clear = Spread.of(what["total"]), Spread.of(what["clear"])
        clear_step = (
            "serialise the record (orjson)"
            if side == "API"
            else "parse the record (`loads_bounded`)"
        )
        lines += [
            f"| {side}, sealed | **all of it** | **{_us(total)}** |",
            f"| {side}, in clear | {clear_step} | {_us(in_clear)} |",
            f"| {side} | **added by sealing** (sealed minus in clear) "
            f"| **{total.median - in_clear.median:.1f}** |",
        ]
    lines += [
        "",
        f"**The stream**, on one fresh default stack. Rounds: {sizes.rounds}; in each, one run "
        f"of each kind ({sizes.statements:,} statements under new ids, signed with the API's "
        f"key, {sizes.statements // BATCH:,} records), the kinds taking turns to go first; "
        "timed from "
        "the first record sent until the worker group had committed everything they caused "
        "(statement view and indicators written). CPU per statement of each part of the stack "
        "over that time, its idle cost included:",
        "",
        "| records | statements/s, end to end | worker CPU µs per statement "
        "| stack CPU µs per statement |",
        "|---|--:|--:|--:|",
    ]
    for kind, name, rate in (
        ("clear", "in clear (no `lr-sealed`)", clear),
        ("sealed", "sealed", sealed),
    ):
        lines.append(f"| {name} | {_rate(rate)} | {_rate(worker[kind])} | {_rate(whole[kind])} |")
    lines += [
        f"| **sealed / in clear** | **{rate_ratio:.3f}** "
        f"| {ratio(worker['sealed'], worker['clear']):.3f} "
        f"| {ratio(whole['sealed'], whole['clear']):.3f} |",
        "",
        f"- Sealed, the stream ran at **{100 * rate_ratio:.0f} %** of its throughput in clear "
        f"(the ratio of the medians; round by round: {', '.join(f'{r:.2f}' for r in paired)}, "
        f"median {Spread.of(paired).median:.2f}): "
        + ("within the 10 % allowed." if rate_ratio >= 0.9 else "**not** within the 10 % allowed.")
        + (
            f" The rounds' own spread ({min(paired):.2f}-{max(paired):.2f}) is wider than the "
            "10 % at stake: the rates alone do not settle it, the CPU figures below do."
            if max(paired) - min(paired) > 0.1
            else ""
        ),
        f"- Encryption costs, per statement, **{seal_us:.1f} µs of API CPU to seal** "
        f"({api_added:.1f} µs more than serialising in clear) and **{open_us:.1f} µs "
        f"of worker CPU to open** ({worker_added:.1f} µs more than parsing in clear), "
        "in process (above).",
        f"- Opening adds {worker_added:.1f} µs to the {worker_in_clear:,.0f} µs of worker CPU "
        f"that a statement in clear took in the stream ({100 * worker_added / worker_in_clear:.1f}"
        " %): a worker bound by its CPU keeps "
        f"**{100 * worker_in_clear / (worker_in_clear + worker_added):.0f} %** of its throughput "
        "in clear when the records are sealed. Measured in the stream, the worker's CPU per "
        f"statement went from {worker_in_clear:,.0f} to {worker['sealed'].median:,.0f} µs "
        f"({worker['sealed'].median - worker_in_clear:+,.0f}, its idle cost and the noise of the "
        "runs included).",
        "- The API's HTTP throughput is not measured here (too noisy beside a difference this "
        "size): its added CPU per statement is the in-process figure.",
        "",
        "Round by round: statements/s, and the cores that the machine's other processes (neither "
        "this stack nor the bench) used meanwhile, from `/proc/stat`:",
        "",
        "| round | in clear | sealed | sealed / in clear | other processes, in clear / sealed |",
        "|--:|--:|--:|--:|--:|",
    ]
    runs = zip(
        stream.rates["clear"],
        stream.rates["sealed"],
        stream.others["clear"],
        stream.others["sealed"],
        strict=True,
    )
    for number, (clear_rate, sealed_rate, others_clear, others_sealed) in enumerate(runs, 1):
        lines.append(
            f"| {number} | {clear_rate:,.0f} | {sealed_rate:,.0f} | {sealed_rate / clear_rate:.2f} "
            f"| {others_clear:.2f} / {others_sealed:.2f} |"
        )
    return "\n".join(lines)


def _us(figure: Spread) -> str:
    return f"{figure.median:.1f} ({figure.low:.1f}-{figure.high:.1f})"


def _rate(figure: Spread) -> str:
    return f"{figure.median:,.0f} ({figure.low:,.0f}-{figure.high:,.0f})"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sealing", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, one round")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    progress(f"the cost of sealing: {sizes}")
    before = os.getloadavg()[0]
    figures, stream = asyncio.run(run(sizes))
    load = f"{before:.1f} before, {os.getloadavg()[0]:.1f} after"
    publish(SECTION, render(figures, stream, sizes, machine_line(), load))


if __name__ == "__main__":
    main()
