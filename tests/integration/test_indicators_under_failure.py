"""Exact indicators when a second worker shares the partitions and then takes over (the SIGKILL
during a 50,000-statement replay runs on the cluster: test_kafka_cluster.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.indicators.reference import (
    counted_statements,
)
from tests.integration.conftest import issue_key
from tests.integration.indicator_exactness import compare_learners_and_activities, settle
from tests.integration.indicator_history import history
from tests.integration.isolated_stack import (
    base_url_of,
    isolated_stack,
    owned_by,
)
from tests.integration.kafka_io import produce_many


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
