"""Ingest on the local cluster beside the single-node default, in one run (issue #11).

The cluster is ``lr dev --cluster``'s: three Kafka nodes (every topic replicated 3 times,
acknowledged by 2), a Redis Cluster of three masters with a replica each, two workers in one
group and two API processes sharing one port; the single node is ``make run``'s stack. Both run
at once on this machine and take turns: per round, the same FUN-MOOC statements are produced
straight to Kafka and then POSTed over HTTP (batches of 100, 4 clients), to a tenant of their
own each time, timed until the workers have committed everything they caused. Besides the
rates: the CPU time of each part of the stack per 1,000 statements (the arithmetic of
docs/scaling.md), and how the statements split between the cluster's two workers (the
statements topic's partitions each owns, and the records each partition took).

Run ``python -m bench.cluster`` (about 10 minutes; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient

from bench import code_version, publish
from bench.figures import Spread, ratio
from bench.hostile import machine_line
from bench.http_ingest import ours as http_ingest
from bench.idle import group_cpu_s
from bench.kafka_ingest import produced_rate
from bench.stack import BenchStack, fresh_stack
from bench.workloads import Statement, fun_mooc
from learning_record.ops.consumer_lag import group_owners

SECTION = "cluster"
ROLES = ("kafka", "redis", "worker", "api")


@dataclass(frozen=True)
class Sizes:
    statements: int
    rounds: int


FULL = Sizes(statements=10_000, rounds=3)
QUICK = Sizes(statements=1_000, rounds=1)


@dataclass
class Topology:
    """What one topology measured, over every round."""

    name: str
    kafka: list[float] = field(default_factory=list)  # statements/s, end to end
    http_accepted: list[float] = field(default_factory=list)
    http_end_to_end: list[float] = field(default_factory=list)
    # CPU seconds per 1,000 statements, by role, each ingest path apart.
    cpu: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {"kafka": defaultdict(list), "http": defaultdict(list)}
    )
    # Records each statements partition took over every run, and its owner (member id).
    partition_records: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    owners: dict[int, str] = field(default_factory=dict)


def role_of(process_name: str) -> str:
    return next(role for role in ROLES if process_name.startswith(role))


async def measured(
    stack: BenchStack, topology: Topology, path: str, statements: int, run: Awaitable[float]
) -> float:
    """Run one ingest, recording each role's CPU time per 1,000 statements and the records
    each statements partition took; the run's result."""
    cpu_before = {p.name: group_cpu_s(p.pid) for p in stack.processes}
    offsets_before = await partition_ends(stack)
    result = await run
    per_role: dict[str, float] = defaultdict(float)
    for process in stack.processes:
        per_role[role_of(process.name)] += group_cpu_s(process.pid) - cpu_before[process.name]
    for role, seconds in per_role.items():
        topology.cpu[path][role].append(1000 * seconds / statements)
    for partition, end in (await partition_ends(stack)).items():
        topology.partition_records[partition] += end - offsets_before.get(partition, 0)
    return result


async def partition_ends(stack: BenchStack) -> dict[int, int]:
    reader = stack.lag_reader()
    await reader.start()
    try:
        return await reader.end_offsets(stack.settings.kafka.statements_topic)
    finally:
        await reader.stop()


async def read_owners(stack: BenchStack) -> dict[int, str]:
    """The member that owns each partition of the statements topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.settings.kafka.bootstrap_servers)
    await admin.start()
    try:
        _state, owners = await group_owners(admin, stack.settings.worker.app_id)
    finally:
        await admin.close()
    topic = stack.settings.kafka.statements_topic
    return {tp.partition: owner.member_id for tp, owner in owners.items() if tp.topic == topic}


async def one_round(
    stack: BenchStack, topology: Topology, data: Sequence[Statement], label: str
) -> None:
    kafka = await measured(
        stack, topology, "kafka", len(data), produced_rate(stack, data, f"{label} Kafka")
    )
    topology.kafka.append(kafka)
    http = await measured(
        stack, topology, "http", len(data), _http_rate(stack, topology, data, f"{label} HTTP")
    )
    topology.http_end_to_end.append(http)
    print(f"    {label}: Kafka {kafka:,.0f}/s, HTTP {http:,.0f}/s end to end", flush=True)


async def _http_rate(
    stack: BenchStack, topology: Topology, data: Sequence[Statement], label: str
) -> float:
    run = await http_ingest(stack, data, label)
    topology.http_accepted.append(run.acceptance_rate)
    return run.end_to_end_rate


async def run(sizes: Sizes) -> tuple[Topology, Topology]:
    data = fun_mooc()[: sizes.statements]
    single, cluster = Topology("single node"), Topology("cluster")
    async with (
        fresh_stack("single") as single_stack,
        fresh_stack("cluster", cluster=True) as (cluster_stack),
    ):
        turns: list[tuple[BenchStack, Topology]] = [
            (single_stack, single),
            (cluster_stack, cluster),
        ]
        for number in range(1, sizes.rounds + 1):
            print(f"  round {number}/{sizes.rounds}", flush=True)
            # Each round starts with the other topology, so neither always runs first.
            for stack, topology in turns if number % 2 else reversed(turns):
                await one_round(stack, topology, data, f"{topology.name}, round {number}")
        cluster.owners = await read_owners(cluster_stack)
    return single, cluster


def render(single: Topology, cluster: Topology, sizes: Sizes, machine: str, load: str) -> str:
    def rate_row(what: str, figure: Callable[[Topology], list[float]]) -> str:
        ours, theirs = Spread.of(figure(cluster)), Spread.of(figure(single))
        return f"| {what} | {_spread(theirs)} | {_spread(ours)} | {ratio(ours, theirs):.2f} |"

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "## Cluster beside single node",
        "",
        f"Measured by `python -m bench.cluster` on {when}, code {code_version('src', 'bench')}; "
        f"{machine}; load average {load}.",
        "",
        f"Rounds: {sizes.rounds}; in each, {sizes.statements:,} FUN-MOOC statements produced "
        "straight to Kafka, then POSTed over HTTP (batches of 100, 4 clients), to a tenant of "
        "their own, timed until the workers committed everything they caused. Both topologies "
        "ran at once on the same cores, taking turns. Medians, lowest and highest in brackets, "
        "statements per second:",
        "",
        "| ingest | single node | cluster | cluster / single |",
        "|---|--:|--:|--:|",
        rate_row("Kafka, end to end", lambda t: t.kafka),
        rate_row("HTTP, accepted", lambda t: t.http_accepted),
        rate_row("HTTP, end to end", lambda t: t.http_end_to_end),
        "",
        "CPU seconds per 1,000 statements, medians over the rounds: each part of the stack (its "
        "processes and their children) from the first statement sent to the last committed, "
        "its idle cost over that time included:",
        "",
        "| path | part | single node | cluster |",
        "|---|---|--:|--:|",
    ]
    for path in ("kafka", "http"):
        for role in ROLES:
            cells = [Spread.of(t.cpu[path][role]).median for t in (single, cluster)]
            lines.append(f"| {path} | {role} | {cells[0]:.2f} | {cells[1]:.2f} |")
    lines += [
        "",
        "The cluster's statements topic, over every run: the records each partition took (one "
        "per statement produced straight, one per HTTP batch of 100) and the worker (consumer "
        "group member) that owns it.",
        "",
        "| partition | records | owner |",
        "|--:|--:|---|",
    ]
    members = sorted(set(cluster.owners.values()))
    names = {member: f"worker {chr(ord('A') + n)}" for n, member in enumerate(members)}
    for partition, records in sorted(cluster.partition_records.items()):
        owner = names.get(cluster.owners.get(partition, ""), "none")
        lines.append(f"| {partition} | {records:,} | {owner} |")
    taken = cluster.partition_records
    total = sum(taken.values()) or 1
    lines.append("")
    for member, name in names.items():
        share = sum(r for p, r in taken.items() if cluster.owners.get(p) == member)
        lines.append(f"- {name}: {100 * share / total:.0f} % of the records")
    return "\n".join(lines)


def _spread(figure: Spread) -> str:
    return f"{figure.median:,.0f} ({figure.low:,.0f}-{figure.high:,.0f})"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, one round")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(f"cluster beside single node: {sizes}", flush=True)
    before = os.getloadavg()[0]
    single, cluster = asyncio.run(run(sizes))
    load = f"{before:.1f} before, {os.getloadavg()[0]:.1f} after"
    section = render(single, cluster, sizes, machine_line(), load)
    publish(SECTION, section)


if __name__ == "__main__":
    main()
