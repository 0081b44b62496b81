"""A worker killed with SIGKILL comes back with its table state from the changelog alone."""

from __future__ import annotations

import uuid

import orjson
from redis.asyncio import Redis

from learning_domain.identity import learner_id, learner_key
from learning_domain.xapi.statements import parse_statement
from lr.stack.local_stack import LocalStack
from serving.learners import fetch_statement_count
from tests.integration.conftest import isolated_settings
from tests.integration.kafka_io import produce, read_matching
from tests.waiting import until


def attempt(mbox: str) -> bytes:
    return orjson.dumps(
        {
            "actor": {"mbox": mbox},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
            "object": {"id": "https://example.org/activities/quiz-2"},
        }
    )


async def test_learner_count_survives_sigkill_through_the_changelog(
    services: LocalStack, redis: Redis
) -> None:
    settings = isolated_settings(services.settings, "restart")
    assert settings.worker.table_store == "memory://"  # nothing on disk to come back from
    tenant = f"t{uuid.uuid4().hex[:10]}"
    mbox = "mailto:restart@example.org"
    learner = learner_id(parse_statement(orjson.loads(attempt(mbox))).actor)
    count = lambda: fetch_statement_count(redis, tenant, learner)  # noqa: E731

    with LocalStack(settings) as processes:
        worker = processes.start_worker("worker-before-kill")
        await produce(settings, [attempt(mbox) for _ in range(5)], tenant)
        assert await until(count, lambda n: n >= 5, within_s=90, what="5 counted") == 5
        worker.kill()

        # The only copy of the state the new worker can restore from.
        changelog = f"{settings.worker.app_id}-learner-tallies-changelog"
        key = f"{tenant}|{learner_key_of(mbox)}".encode()
        assert await read_matching(settings, changelog, lambda r: r.key == key, expected=1)

        processes.start_worker("worker-after-kill")
        await produce(settings, [attempt(mbox)], tenant)
        assert await until(count, lambda n: n != 5, within_s=90, what="6th counted") == 6


def learner_key_of(mbox: str) -> str:
    return learner_key(parse_statement(orjson.loads(attempt(mbox))).actor)
