"""The API under hostile traffic (issue #10): ``/health`` and a single indicator read, p50 and
p99, on their own and while hostile clients run beside them, side by side in one run:

- unauthenticated oversized forms: ``POST /statements?method=GET`` with a 10 MB form body and no
  credentials (refused before the body is read);
- indicator batch queries over the ``24h`` window from another tenant's key: 1,000 entities
  (refused: past the window's bound) and the most the window allows (138);
- slow clients: connections that send their request headers a byte a second and never finish;
- failed authentications: wrong keys as fast as the API answers them.

Each round measures the quiet figures, then the same under attack, on one fresh stack; the
report gives the median of the rounds with their lowest and highest, and what the hostile
clients got back. Run with ``python -m bench.hostile [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson

from bench import code_version, describe_machine, publish
from bench.figures import Spread, percentile
from bench.stack import BenchStack, api_headers, fresh_stack
from learning_record.domain.access import IssuedKey
from learning_record.domain.indicator_query import most_entities
from learning_record.domain.indicators import Window
from learning_record.ops.deployment import histogram_quantile
from learning_record.ops.scrape import parse_samples

SECTION = "hostile"
LOOP_LAG_BUCKET = "lr_api_event_loop_lag_seconds_bucket"
LATE_S = 0.05  # a bucket bound of the loop lag histogram: "late" in the report
LEARNER = {"mbox": "mailto:steady@example.org"}
FORM_BYTES = 10 * 1024 * 1024
BATCH_ENTITIES = 1000
SLOW_CLIENTS = 50
# The attackers' own loopback addresses: the API limits failed authentications per client
# address, and refuses everything from an address past the limit (429). The probes (127.0.0.1)
# and the batch queries, which have a valid key, would be refused with the failing clients.
FAILING_ADDRESS = "127.0.0.2"  # oversized forms, wrong keys, slow clients
QUERYING_ADDRESS = "127.0.0.3"  # the batch queries
PROBE_RATE = 20.0  # probes per second of each kind: light, so that they measure, not load
# What a slow client sends, a byte a second: headers that never end.
SLOW_REQUEST = b"GET /learningrecord/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 10_000


@dataclass(frozen=True, slots=True)
class Sizes:
    rounds: int
    seconds: float


FULL, QUICK = Sizes(rounds=3, seconds=20.0), Sizes(rounds=1, seconds=5.0)


@dataclass
class Probe:
    """Latencies (ms) of one kind of probe, and the statuses it got."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


async def probe(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], seconds: float
) -> Probe:
    """Open loop at PROBE_RATE: each request timed from its scheduled time."""
    result = Probe()
    started = time.perf_counter()
    tasks = []

    async def one(due: float) -> None:
        async with http.get(url, headers=headers) as response:
            await response.read()
            result.statuses[response.status] += 1
        result.latencies.append((time.perf_counter() - due) * 1000)

    for index in range(round(seconds * PROBE_RATE)):
        due = started + index / PROBE_RATE
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    return result


async def oversized_forms(http: aiohttp.ClientSession, base: str, got: Counter[str]) -> None:
    form = b"pad=" + b"x" * FORM_BYTES
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    while True:
        with contextlib.suppress(aiohttp.ClientError):
            async with http.post(
                f"{base}/statements?method=GET", data=form, headers=headers
            ) as response:
                got[f"oversized form: {response.status}"] += 1


async def batch_queries(
    http: aiohttp.ClientSession, base: str, key: IssuedKey, entities: int, got: Counter[str]
) -> None:
    """``entities`` learners over the 24h window, the costliest window (1,440 buckets each)."""
    learners = [{"mbox": f"mailto:learner{n}@example.org"} for n in range(entities)]
    body = orjson.dumps({"learners": learners, "window": "24h"})
    headers = {**api_headers(key), "Content-Type": "application/json"}
    while True:
        async with http.post(f"{base}/indicators/query", data=body, headers=headers) as response:
            await response.read()
            got[f"{entities:,}-entity 24h query: {response.status}"] += 1


async def failed_authentications(http: aiohttp.ClientSession, base: str, got: Counter[str]) -> None:
    headers = {"x-api-key": "lrk_0000000000000000.wrong", "X-Experience-API-Version": "1.0.3"}
    while True:
        async with http.get(f"{base}/statements", headers=headers) as response:
            await response.read()
            got[f"wrong key: {response.status}"] += 1


async def slow_client(host: str, port: int, got: Counter[str]) -> None:
    """Headers a byte a second, never finished (what a slowloris attack sends)."""
    _, writer = await asyncio.open_connection(host, port, local_addr=(FAILING_ADDRESS, 0))
    got["slow clients connected"] += 1
    try:
        for byte in SLOW_REQUEST:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1.0)
    finally:
        writer.close()


@dataclass(frozen=True, slots=True)
class Round:
    quiet_health: Probe
    quiet_read: Probe
    hostile_health: Probe
    hostile_read: Probe
    hostile: Counter[str]
    quiet_api: Phase
    hostile_api: Phase


@dataclass(frozen=True, slots=True)
class ApiState:
    """The API process at one moment: its loop lag histogram (count by ``le``) and, from
    ``/proc/<pid>/schedstat``, the seconds its main thread (the event loop) has spent on a CPU
    and runnable but waiting for one: busy loop versus CPU contention."""

    at: float
    lag_buckets: dict[float, float]
    on_cpu_s: float
    waiting_s: float


@dataclass(frozen=True, slots=True)
class Phase:
    """How the API's loop fared over a phase: its lag histogram, ``(le, count)`` in order, and
    the share of the phase its thread spent on a CPU and waiting for one."""

    lag_buckets: list[tuple[float, float]]
    on_cpu: float
    waiting: float

    @classmethod
    def between(cls, start: ApiState, end: ApiState) -> Phase:
        seconds = end.at - start.at
        return cls(
            sorted((le, n - start.lag_buckets.get(le, 0.0)) for le, n in end.lag_buckets.items()),
            (end.on_cpu_s - start.on_cpu_s) / seconds,
            (end.waiting_s - start.waiting_s) / seconds,
        )


async def api_state(http: aiohttp.ClientSession, stack: BenchStack) -> ApiState:
    api = stack.settings.api
    async with http.get(f"http://{api.host}:{api.port}/metrics") as response:
        samples = parse_samples(await response.text())
    on_cpu_s, waiting_s = main_thread_schedule(stack.api.pid)
    return ApiState(
        time.perf_counter(),
        {
            float(dict(labels)["le"]): count
            for (name, labels), count in samples.items()
            if name == LOOP_LAG_BUCKET
        },
        on_cpu_s,
        waiting_s,
    )


def main_thread_schedule(pid: int) -> tuple[float, float]:
    """Seconds a process's main thread has run on a CPU, and waited runnable for one (Linux)."""
    on_cpu_ns, waiting_ns, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    return int(on_cpu_ns) / 1e9, int(waiting_ns) / 1e9


def attacker_session(address: str, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    return aiohttp.ClientSession(timeout=timeout, connector=connector)


async def measure_round(
    stack: BenchStack, key: IssuedKey, other: IssuedKey, seconds: float
) -> Round:
    base = stack.base_url
    read = f"{base}/indicators/learner?agent={orjson.dumps(LEARNER).decode()}"
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as probes:
        at_start = await api_state(probes, stack)
        quiet_health, quiet_read = await asyncio.gather(
            probe(probes, f"{base}/health", {}, seconds),
            probe(probes, read, api_headers(key), seconds),
        )
        after_quiet = await api_state(probes, stack)
        got: Counter[str] = Counter()
        async with (
            attacker_session(FAILING_ADDRESS, timeout) as failing,
            attacker_session(QUERYING_ADDRESS, timeout) as querying,
        ):
            api = stack.settings.api
            attacks: list[Awaitable[None]] = [
                oversized_forms(failing, base, got),
                oversized_forms(failing, base, got),
                batch_queries(querying, base, other, BATCH_ENTITIES, got),
                batch_queries(querying, base, other, most_entities(Window.DAY), got),
                failed_authentications(failing, base, got),
                *(slow_client(api.host, api.port, got) for _ in range(SLOW_CLIENTS)),
            ]
            running = [asyncio.ensure_future(attack) for attack in attacks]
            try:
                await asyncio.sleep(1.0)  # let the attack start
                at_attack = await api_state(probes, stack)
                hostile_health, hostile_read = await asyncio.gather(
                    probe(probes, f"{base}/health", {}, seconds),
                    probe(probes, read, api_headers(key), seconds),
                )
                after_attack = await api_state(probes, stack)
            finally:
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)
    return Round(
        quiet_health,
        quiet_read,
        hostile_health,
        hostile_read,
        got,
        Phase.between(at_start, after_quiet),
        Phase.between(at_attack, after_attack),
    )


async def prepare(stack: BenchStack) -> tuple[IssuedKey, IssuedKey]:
    key = await stack.new_tenant_key("steady")
    other = await stack.new_tenant_key("hostile")
    statement = {
        "actor": LEARNER,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://example.org/activities/steady"},
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{stack.base_url}/statements", json=[statement] * 10, headers=api_headers(key)
        ) as response,
    ):
        response.raise_for_status()
    return key, other


def render(rounds: Sequence[Round], sizes: Sizes, machine: str, load: tuple[float, float]) -> str:
    def spread(pick: Callable[[Round], Probe], share: float) -> Spread:
        return Spread.of([percentile(pick(r).latencies, share) for r in rounds])

    def row(what: str, pick: Callable[[Round], Probe]) -> str:
        p50, p99 = spread(pick, 0.5), spread(pick, 0.99)
        errors = sum(sum(n for s, n in pick(r).statuses.items() if s != 200) for r in rounds)
        return (
            f"| {what} | {p50.median:.1f} ({p50.low:.1f}-{p50.high:.1f}) "
            f"| {p99.median:.1f} ({p99.low:.1f}-{p99.high:.1f}) | {errors} |"
        )

    def loop_row(what: str, pick: Callable[[Round], Phase]) -> str:
        p50, p99 = (
            Spread.of([1000 * (histogram_quantile(q, pick(r).lag_buckets) or 0.0) for r in rounds])
            for q in (0.5, 0.99)
        )
        counts = [dict(pick(r).lag_buckets) for r in rounds]
        late = sum(c[math.inf] - c[LATE_S] for c in counts)
        samples = sum(c[math.inf] for c in counts)
        on_cpu = Spread.of([100 * pick(r).on_cpu for r in rounds])
        waiting = Spread.of([100 * pick(r).waiting for r in rounds])
        return (
            f"| {what} | {p50.median:.1f} ({p50.low:.1f}-{p50.high:.1f}) "
            f"| {p99.median:.1f} ({p99.low:.1f}-{p99.high:.1f}) | {late:.0f} of {samples:.0f} "
            f"| {on_cpu.median:.0f} ({on_cpu.low:.0f}-{on_cpu.high:.0f}) "
            f"| {waiting.median:.0f} ({waiting.low:.0f}-{waiting.high:.0f}) |"
        )

    hostile: Counter[str] = Counter()
    for r in rounds:
        hostile.update(r.hostile)
    lines = [
        "## Under hostile traffic (issue #10)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.hostile` on "
        f"{machine}; code {code_version('src', 'bench')}; {len(rounds)} rounds of "
        f"{sizes.seconds:.0f} s quiet then {sizes.seconds:.0f} s under attack, on one fresh "
        f"stack (broker, Redis, one worker, one API process); load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after. Probes: {PROBE_RATE:.0f}/s of each kind, "
        "open loop; median of the rounds (lowest-highest), in milliseconds.",
        "",
        "| probe | p50 ms | p99 ms | non-200 |",
        "|---|---|---|---|",
        row("`/health`, quiet", lambda r: r.quiet_health),
        row("`/health`, under attack", lambda r: r.hostile_health),
        row("one learner's indicators, quiet", lambda r: r.quiet_read),
        row("one learner's indicators, under attack", lambda r: r.hostile_read),
        "",
        "The API's event loop meanwhile: its lag (`lr_api_event_loop_lag_seconds`, sampled "
        "every 50 ms; quantiles interpolated within the histogram's buckets as Prometheus "
        "does), how late it ran what was due; and from `/proc/<pid>/schedstat`, the share of "
        "the phase its thread spent on a CPU (a busy loop) and runnable but waiting for a CPU "
        "that other processes held (contention).",
        "",
        "| API event loop | lag p50 ms | lag p99 ms | samples over 50 ms, all rounds "
        "| on a CPU % | waiting for a CPU % |",
        "|---|---|---|---|---|---|",
        loop_row("quiet", lambda r: r.quiet_api),
        loop_row("under attack", lambda r: r.hostile_api),
        "",
        "The attack, beside the probes: two loops of unauthenticated 10 MB forms, a loop of "
        "1,000-entity and one of 138-entity `24h` indicator queries (the costliest window, the "
        "most it allows) from another tenant, one loop of wrong keys, and "
        f"{SLOW_CLIENTS} slow clients sending headers a byte a second. The probes come from "
        f"127.0.0.1, the batch queries from {QUERYING_ADDRESS}, the rest from "
        f"{FAILING_ADDRESS}: failed authentications are limited per client address, and an "
        "address past the limit is refused whatever it sends. What they got:",
        "",
        *(f"- {what}: {count:,}" for what, count in sorted(hostile.items())),
    ]
    return "\n".join(lines)


async def run(sizes: Sizes) -> list[Round]:
    rounds = []
    async with fresh_stack("hostile") as stack:
        key, other = await prepare(stack)
        for number in range(1, sizes.rounds + 1):
            print(
                f"  round {number}/{sizes.rounds}: {sizes.seconds:.0f} s quiet, "
                f"then {sizes.seconds:.0f} s under attack",
                flush=True,
            )
            rounds.append(await measure_round(stack, key, other, sizes.seconds))
            latest = rounds[-1]
            print(
                f"    /health p99 {percentile(latest.quiet_health.latencies, 0.99):.1f} ms quiet, "
                f"{percentile(latest.hostile_health.latencies, 0.99):.1f} ms under attack",
                flush=True,
            )
    return rounds


def machine_line() -> str:
    machine = describe_machine()
    return (
        f"{machine.cpu_model}, {machine.logical_cpus} CPUs, {machine.ram_gib:.1f} GiB, "
        f"{machine.python}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(f"hostile traffic: {sizes}", flush=True)
    before = os.getloadavg()[0]
    rounds = asyncio.run(run(sizes))
    section = render(rounds, sizes, machine_line(), (before, os.getloadavg()[0]))
    publish(SECTION, section)


if __name__ == "__main__":
    main()
