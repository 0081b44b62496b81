"""The suite's report, rendered from made-up figures: every figure with its median, min and
max, the machine, the other load, and each target of #15 judged on the medians. No speed is
asserted here: bench/ measures it."""

from __future__ import annotations

from dataclasses import replace

from bench import Machine
from bench.environment import CpuShare
from bench.figures import NOT_MEASURED, Spread, percentile
from bench.report import Environment, FlatCost, Latency, Results, render, targets


def spread(*values: float) -> Spread:
    return Spread.of(values)


HTTP_END_TO_END = Spread.of((5200, 5100, 5600))


def results(http_end_to_end: Spread = HTTP_END_TO_END) -> Results:
    latency = Latency(spread(1000, 990, 1001), spread(20, 18, 25), spread(200, 150, 260), 0)
    return Results(
        kafka_statements=22_000,
        kafka_fun_mooc=spread(6000, 5800, 6100),
        kafka_synthetic=spread(4900, 4800, 5300),
        synthetic_statements=11_000,
        preload=11_000,
        http_statements=22_000,
        http_acceptance=spread(7000, 6900, 7100),
        http_end_to_end=http_end_to_end,
        ralph_statements=22_000,
        ralph_first=spread(400, 390, 420),
        ralph_second=spread(200, 190, 210),
        freshness=latency,
        freshness_samples=540,
        freshness_drain_s=spread(1.0, 0.5, 2.0),
        reads_fixed=Latency(spread(1000, 999, 1000), spread(2, 1.5, 3), spread(9, 8, 12), 0),
        reads_max=Latency(spread(2500, 2400, 2600), spread(6, 5, 7), spread(20, 18, 30), 3),
        flat=FlatCost(
            1_000,
            100_000,
            spread(10, 9, 11),
            spread(12, 11, 14),
            {"learner all": 300, "learner hour": 900},
            {"learner all": 310, "learner hour": 1800},
        ),
        idle_cpu_percent=spread(1.2, 1.0, 1.5),
        idle_window_s=60,
        runs=3,
    )


def environment(others: float) -> Environment:
    return Environment(
        date="2026-12-03 11:00 UTC",
        code="abc1234",
        command="make bench",
        quick=False,
        machine=Machine("AMD EPYC", 2, 23.5, "CPython 3.11.7", "2.14.4"),
        os="Debian GNU/Linux 12 (bookworm), Linux 6.1",
        kafka="4.1.2",
        redis="7.0.15",
        ralph="5.1.0",
        cpu=CpuShare(machine_cores=1.5 + others, ours_cores=1.5, load_before=0.3, load_after=2.1),
        minutes=28.0,
    )


def test_every_figure_shows_median_min_max_and_its_runs() -> None:
    text = render(results(), environment(others=0.0))
    assert (
        "| 2. HTTP ingest, ours, end to end (22,000) | statements/s | 5,200 | 5,100 | 5,600 | 3 |"
        in text
    )
    assert "| 3. HTTP ingest, ralph, second 22,000 | statements/s | 200 | 190 | 210 | 3 |" in text
    assert "| learner hour | 900 | 1,800 | 2.00x |" in text
    assert "**13.0x**" in text  # ours end to end over the peer's first 22,000


def test_the_machine_and_its_versions_are_stated() -> None:
    text = render(results(), environment(others=0.0))
    facts = ["AMD EPYC, 2 logical CPUs", "23.5 GiB", "Debian GNU/Linux 12", "CPython 3.11.7"]
    facts += ["Apache Kafka 4.1.2", "Redis 7.0.15", "ralph-malph 5.1.0"]
    assert [fact for fact in facts if fact not in text] == []


def test_a_machine_shared_with_other_work_is_said_to_be() -> None:
    assert "otherwise quiet" in render(results(), environment(others=0.0))
    shared = render(results(), environment(others=0.8))
    assert "other processes 0.80" in shared
    assert "shared with other work" in shared


def test_targets_are_judged_on_the_medians() -> None:
    verdicts = {t.goal: t.met for t in targets(results())}
    assert verdicts["HTTP ingest end to end ≥ 5,000/s"]
    assert not verdicts["Kafka ingest end to end ≥ 5,000/s, synthetic with 5 % voids"]
    assert not verdicts["Flat cost: each state value at 100,000 within 1.5x of its size at 1,000"]
    assert verdicts["Freshness p99 ≤ 250 ms at 1,000 statements/s offered"]
    slow = {t.goal: t.met for t in targets(results(http_end_to_end=spread(900, 800, 6000)))}
    assert not slow["HTTP ingest end to end ≥ 5,000/s"]


def test_a_failed_scenario_shows_as_failed_and_its_targets_as_not_measured() -> None:
    failed = replace(results(), kafka_synthetic=NOT_MEASURED, failures=("1. Kafka ingest: boom",))
    text = render(failed, environment(others=0.0))
    assert (
        "| 1. Kafka ingest end to end, synthetic, 5 % voids (11,000) | statements/s | failed"
        in text
    )
    assert "**Failed**: 1. Kafka ingest: boom" in text
    verdicts = {t.goal: t.verdict for t in targets(failed)}
    synthetic = "Kafka ingest end to end ≥ 5,000/s, synthetic with 5 % voids"
    assert verdicts[synthetic].startswith("**not measured**")


def test_percentile_is_the_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert (percentile(samples, 0.5), percentile(samples, 0.99), percentile([7.0], 0.99)) == (
        50.0,
        99.0,
        7.0,
    )
