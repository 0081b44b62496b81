"""An erasure interrupted comes out whole (docs/privacy.md): a worker killed while it erases, and
Redis lost between the request and its execution. Each time the learner's statements leave every
answer, their mentions keep a placeholder, the activity indicators are exact (`lr verify` finds
no difference), and a replay of the log brings nothing of theirs back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, cast

import aiohttp
import orjson
import pytest
from redis.asyncio import Redis

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.access import IssuedKey
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.sealing import PLACEHOLDER
from learning_record.domain.statement_index import AGENT, term
from learning_record.ops.consumer_lag import LagReader
from learning_record.platform.settings import Settings
from learning_record.store import keys
from learning_record.store.keys import ClaimField
from tests.integration.conftest import issue_key
from tests.integration.isolated_stack import base_url_of, stack_of_its_own
from tests.integration.learners import answered, person, xapi_headers
from tests.integration.lr_cli import run_lr, run_lr_status
from tests.pseudonyms import learner_ids
from tests.waiting import until

# Enough of the learner's statements that erasing them takes a while to kill the worker in.
ERIN_STATEMENTS = 2000
BATCH = 250


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    settings = stack_of_its_own(tmp_path_factory.mktemp("erasure-faults"), "erasure-faults")
    with LocalStack(settings) as processes:
        processes.start_services()
        processes.start_api()
        yield processes


class Learners:
    """Erin, whose erasure is interrupted, and Otto, who mentions her."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings, key: IssuedKey) -> None:
        self.http, self.settings, self.key = http, settings, key
        self.base_url = base_url_of(settings)
        self.headers = xapi_headers(key)
        self.erin, self.otto = person("erin"), person("otto")
        self.activity = f"https://example.org/activities/faults-{uuid.uuid4().hex[:8]}"
        self.tenant = key.record.tenant

    async def send(self) -> list[str]:
        """Erin's statements, then Otto's one naming her as instructor; Otto's id."""
        for _ in range(ERIN_STATEMENTS // BATCH):
            await self._post([answered(self.erin, self.activity)] * BATCH)
        (mentioning,) = await self._post(
            [answered(self.otto, self.activity, context={"instructor": self.erin})]
        )
        await until(self.activity_count, lambda n: n == ERIN_STATEMENTS + 1, within_s=300)
        return [mentioning]

    async def ask_erasure(self) -> str:
        agent = orjson.dumps({"mbox": self.erin["mbox"]}).decode()
        async with self.http.delete(
            f"{self.base_url}/admin/learners", params={"agent": agent}, headers=self.headers
        ) as response:
            assert response.status == 202
            return str((await response.json())["id"])

    async def erasure_state(self, erasure_id: str) -> str | None:
        async with self.http.get(
            f"{self.base_url}/admin/erasures/{erasure_id}", headers=self.headers
        ) as response:
            return str((await response.json())["state"]) if response.status == 200 else None

    async def activity_count(self) -> int:
        async with self.http.get(
            f"{self.base_url}/indicators/activity",
            params={"activityId": self.activity},
            headers=self.headers,
        ) as response:
            return int((await response.json())["indicators"]["statements"])

    async def finished(self, erasure_id: str, mentioning: str) -> None:
        """Wait until the erasure is done and its retractions counted, then check it."""
        await until(
            lambda: self.erasure_state(erasure_id),
            lambda state: state == "done",
            within_s=300,
            what="erasure done",
        )
        await until(self.activity_count, lambda n: n == 1, within_s=300)
        await self.check_forgotten(mentioning)

    async def check_forgotten(self, mentioning: str) -> None:
        """Only Otto's statement is left, with a placeholder for Erin, counted alone."""
        async with self.http.get(
            f"{self.base_url}/statements", params={"limit": "10"}, headers=self.headers
        ) as response:
            statements = (await response.json())["statements"]
        assert [s["actor"] for s in statements] == [self.otto]
        (kept,) = statements
        assert kept["id"] == mentioning
        assert kept["context"]["instructor"] == PLACEHOLDER
        assert await self.activity_count() == 1
        code, verified, errors = await run_lr_status(
            self.settings, "verify", "--tenant", self.tenant
        )
        assert code == 0, verified + errors
        assert verified.rstrip().endswith(": 0 differences")

    async def _post(self, statements: list[dict[str, Any]]) -> list[str]:
        async with self.http.post(
            f"{self.base_url}/statements", json=statements, headers=self.headers
        ) as response:
            assert response.status == 200, await response.text()
            return list(await response.json())


async def group_lag(settings: Settings) -> int:
    """Records the worker group has yet to commit on every topic it reads."""
    kafka = settings.kafka
    topics = [
        kafka.statements_topic,
        kafka.direct_statements_topic,
        kafka.erasures_topic,
        kafka.learner_ops_topic,
        kafka.activity_ops_topic,
    ]
    reader = LagReader(kafka, settings.worker.app_id, topics)
    await reader.start()
    try:
        return (await reader.read()).messages
    finally:
        await reader.stop()


async def _retracted(redis: Redis, tenant: str, ifi: str) -> int:
    """How many of the learner's statements the view marks as retracted (an erasure retracts
    them before it purges them)."""
    ids = cast(
        list[bytes],
        await redis.zrange(
            keys.statement_index(tenant, term(AGENT, learner_ids(tenant)(ifi))), 0, -1
        ),
    )
    async with redis.pipeline(transaction=False) as pipe:
        for statement_id in ids:
            pipe.hexists(
                keys.statement_claim(tenant, statement_id.decode()), ClaimField.RETRACTED_BY
            )
        return sum(bool(marked) for marked in await pipe.execute())


@pytest.mark.timeout(1800)  # a bound for a stuck run only: waits follow the work
async def test_a_worker_killed_while_it_erases_leaves_the_next_one_to_finish_exactly(
    stack: LocalStack,
) -> None:
    settings = stack.settings
    key = await issue_key(settings)
    worker = stack.start_worker("worker-killed")
    async with aiohttp.ClientSession() as http, Redis.from_url(settings.redis.url) as redis:
        learners = Learners(http, settings, key)
        (mentioning,) = await learners.send()

        erasure_id = await learners.ask_erasure()
        ifi = ifi_of_raw(learners.erin)
        await until(
            lambda: _retracted(redis, learners.tenant, ifi),
            lambda marked: marked > 0,
            within_s=120,
            what="the erasure under way",
        )
        worker.kill()
        assert await learners.erasure_state(erasure_id) in ("pending", "done")

        after = stack.start_worker("worker-after")
        await learners.finished(erasure_id, mentioning)
        after.stop()  # lr replay wants the workers stopped
        await run_lr(settings, "replay", "--tenant", learners.tenant, "--yes")
        await learners.check_forgotten(mentioning)

        # A new worker group reads everything from offset 0: nothing of hers counts again.
        fresh = settings.model_copy(
            update={"worker": settings.worker.model_copy(update={"app_id": "lr-from-zero"})}
        )
        from_zero = stack.start_worker("worker-from-zero", {"LR_WORKER__APP_ID": "lr-from-zero"})
        await until(
            lambda: group_lag(fresh), lambda n: n == 0, within_s=300, what="the log read again"
        )
        await learners.check_forgotten(mentioning)
        from_zero.stop()  # the module's next test starts with no worker


@pytest.mark.timeout(1800)
async def test_redis_lost_before_an_erasure_runs_loses_nothing_of_it(stack: LocalStack) -> None:
    settings = stack.settings
    key = await issue_key(settings)
    worker = stack.start_worker("worker-before-loss")
    async with aiohttp.ClientSession() as http, Redis.from_url(settings.redis.url) as redis:
        learners = Learners(http, settings, key)
        (mentioning,) = await learners.send()
        worker.stop()

        erasure_id = await learners.ask_erasure()  # durable on its topic; nobody runs it yet
        assert await learners.erasure_state(erasure_id) == "pending"
        await redis.flushall()
        await run_lr(settings, "replay", "--yes")  # her keys are still there: she is back
        assert await learners.erasure_state(erasure_id) == "pending"  # from the erasures topic

        stack.start_worker("worker-after-loss")
        await learners.finished(erasure_id, mentioning)
