"""Exact indicators when workers crash, and when a second worker shares and then takes over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.indicators.reference import (
    counted_statements,
)
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.integration.fun_mooc import fun_mooc_statements
from tests.integration.indicator_exactness import compare_learners_and_activities, settle
from tests.integration.indicator_history import history
from tests.integration.isolated_stack import (
    base_url_of,
    group_probe,
    isolated_stack,
    read_statements_lag,
)
from tests.integration.kafka_io import produce_many
from tests.waiting import until


@pytest.mark.timeout(3600)  # a bound for a stuck run only: waits follow the work
async def test_sigkill_during_a_50000_statement_replay_leaves_indicators_exact(
    services: LocalStack, http: aiohttp.ClientSession
) -> None:
    now = datetime.now(UTC)
    statements = fun_mooc_statements() + history(seed=50_000, count=28_000, now=now).everything
    assert len(statements) >= 50_000
    with isolated_stack(services.settings, "sigkill") as processes:
        settings = processes.settings
        processes.start_api()
        base_url = base_url_of(settings)
        key = await issue_key(settings)
        worker = processes.start_worker("worker-killed")
        await produce_many(settings, statements, key.record.tenant)

        # Kill only once offsets were committed, and before everything was processed.
        lag = await until(
            lambda: read_statements_lag(settings),
            lambda lag: sum(p.committed for p in lag.partitions) > 0,
            within_s=120,
            what="offsets committed",
        )
        assert lag.messages > 0, "the worker finished before it could be killed"
        worker.kill()

        restarted = processes.start_worker("worker-restarted")
        await settle(http, base_url, key, settings)
        log = restarted.log_path.read_text()
        skipped = sum(
            int(line.rsplit("skipped=", 1)[1].split()[0])
            for line in log.splitlines()
            if "indicator_skips" in line
        )
        assert skipped > 0, "nothing was redelivered after the restart: the test proved nothing"

        counted = counted_statements(statements)
        compared = await compare_learners_and_activities(
            http, base_url, key, statements, counted, now + timedelta(seconds=1)
        )
        # Again at the time of the FUN-MOOC data (2021), so that its windows are not empty.
        fun_time = max(datetime.fromisoformat(s["timestamp"]) for s in statements[:22_000])
        compared += await compare_learners_and_activities(
            http, base_url, key, statements, counted, fun_time
        )
        assert compared == 2 * 5 * (1452 + 6 + 10 + 5)


async def owned_by(settings: Settings, workers: int, what: str) -> None:
    """Wait until the statements topic's partitions are owned by ``workers`` members."""
    async with group_probe(settings) as group:
        await until(
            group.owners_of_statements,
            lambda owners: len(owners) == workers,
            within_s=120,
            what=what,
        )


@pytest.mark.timeout(3600)  # a bound for a stuck run only: waits follow the work
async def test_two_workers_share_partitions_and_one_takes_over_exactly(
    services: LocalStack, http: aiohttp.ClientSession
) -> None:
    now = datetime.now(UTC)
    generated = history(seed=2, count=4_000, now=now)
    first, second = generated.statements[:2_000], generated.statements[2_000:]
    with isolated_stack(services.settings, "scale-out") as processes:
        settings = processes.settings
        processes.start_api()
        base_url = base_url_of(settings)
        key = await issue_key(settings)
        doomed = processes.start_worker("worker-a")
        processes.start_worker("worker-b")
        await owned_by(settings, 2, "two workers sharing the partitions")
        await produce_many(settings, generated.voids_first + first, key.record.tenant)
        await settle(http, base_url, key, settings)

        doomed.kill()
        await produce_many(settings, second + generated.voids_after, key.record.tenant)
        await owned_by(settings, 1, "the survivor owning every partition")
        await settle(http, base_url, key, settings)

        documents = generated.everything
        compared = await compare_learners_and_activities(
            http,
            base_url,
            key,
            documents,
            counted_statements(documents),
            now + timedelta(seconds=1),
        )
        assert compared == 5 * (6 + 5)
