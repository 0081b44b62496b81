"""Redis lost whole (FLUSHALL) on the single-node default: `lr replay` rebuilds the statement
view and the indicator mirror exactly from Kafka, the keys keep working from the keys topic,
and what comes afterwards is judged as it would have been (issue #11)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson
import pytest
from redis.asyncio import Redis

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.identity import ifi_properties
from learning_record.domain.indicators.reference import counted_statements
from tests.integration.conftest import issue_key
from tests.integration.indicator_exactness import compare_learners_and_activities, settle
from tests.integration.indicator_history import history
from tests.integration.isolated_stack import base_url_of, stack_of_its_own
from tests.integration.kafka_io import produce_many
from tests.integration.lr_cli import run_lr, run_lr_status

HEADERS = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    settings = stack_of_its_own(tmp_path_factory.mktemp("redis-loss"), "redis-loss")
    with LocalStack(settings) as processes:
        processes.start_services()
        processes.start_api()
        yield processes


@pytest.mark.timeout(1800)  # a bound for a stuck run only: waits follow the work
async def test_after_a_flushall_replay_rebuilds_the_view_and_the_indicators_exactly(
    stack: LocalStack,
) -> None:
    settings = stack.settings
    base_url = base_url_of(settings)
    now = datetime.now(UTC)
    before, after = history(seed=11, count=600, now=now), history(seed=12, count=200, now=now)
    key = await issue_key(settings)
    headers = {**HEADERS, "x-api-key": key.header_value}
    worker = stack.start_worker("worker-before")
    async with aiohttp.ClientSession() as http:
        await produce_many(settings, before.everything, key.record.tenant)
        await settle(http, base_url, key, settings)
        reference = counted_statements(before.everything)
        as_of = now + timedelta(seconds=1)
        compared = await compare_learners_and_activities(
            http, base_url, key, before.everything, reference, as_of
        )

        learner = await _learner_by_id(http, base_url, headers, before.statements[0]["actor"])
        assert learner["agent"] == ifi_properties(before.statements[0]["actor"])

        worker.stop()
        async with Redis.from_url(settings.redis.url) as redis:
            await redis.flushall()
            assert await redis.dbsize() == 0
        # Settings naming another worker group: no changelog to rebuild from, so the indicator
        # mirror is left alone (here: empty), and the command says so.
        other = settings.model_copy(
            update={"worker": settings.worker.model_copy(update={"app_id": "lr-another"})}
        )
        code, _, errors = await run_lr_status(other, "replay", "--yes")
        assert code == 0
        assert "indicators left as they were: no changelog topic lr-another-" in errors
        output = await run_lr(settings, "replay", "--yes")
        assert f"{len(before.everything)} statements of 1 tenant(s) in the view" in output
        stack.start_worker("worker-after")

        # The key still opens the API; every statement reads back, and the indicators equal
        # the reference again, learners' identifying properties included.
        sample = before.statements[0]
        async with http.get(
            f"{base_url}/statements", params={"statementId": sample["id"]}, headers=headers
        ) as answer:
            assert answer.status == 200
            assert (await answer.json())["id"] == sample["id"]
        assert await _learner_by_id(http, base_url, headers, sample["actor"]) == learner
        assert (
            await compare_learners_and_activities(
                http, base_url, key, before.everything, reference, as_of
            )
            == compared
        )

        # Later statements, and every earlier one sent again, count as they would have: the
        # routing decisions came back with the view.
        again: list[dict[str, Any]] = [*before.statements, *after.everything]
        await produce_many(settings, again, key.record.tenant)
        await settle(http, base_url, key, settings)
        everything = [*before.everything, *after.everything]
        await compare_learners_and_activities(
            http, base_url, key, everything, counted_statements(everything), as_of
        )


async def _learner_by_id(
    http: aiohttp.ClientSession, base_url: str, headers: dict[str, str], actor: dict[str, Any]
) -> dict[str, Any]:
    """The learner as ``/learners/{id}/indicators`` shows it: their identifying properties
    come from the indicator mirror, not from the request."""
    params = {"agent": orjson.dumps(actor).decode()}
    async with http.get(f"{base_url}/indicators/learner", params=params, headers=headers) as answer:
        learner_id = (await answer.json())["learner"]["id"]
    async with http.get(f"{base_url}/learners/{learner_id}/indicators", headers=headers) as answer:
        assert answer.status == 200
        learner: dict[str, Any] = (await answer.json())["learner"]
    return learner
