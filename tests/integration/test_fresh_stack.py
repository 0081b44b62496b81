"""The first impression: on a stack whose topics do not exist yet, the first statement shows in
its learner's indicators (issue 10: the worker once subscribed before the operations topics
existed, and the first statements were never counted)."""

from __future__ import annotations

import uuid

import aiohttp

from learning_record.cli.stack.local_stack import LocalStack
from tests.integration.conftest import issue_key
from tests.integration.indicator_reads import learner_statement_count
from tests.integration.isolated_stack import base_url_of, isolated_stack
from tests.integration.test_statement_resource import Client
from tests.waiting import until


async def test_the_first_statement_of_a_fresh_stack_is_counted_for_its_learner(
    services: LocalStack, http: aiohttp.ClientSession
) -> None:
    with isolated_stack(services.settings, "fresh") as processes:
        settings = processes.settings
        # The worker first, on a broker without any of its topics: it creates what it reads.
        processes.start_worker()
        processes.start_api()
        key = await issue_key(settings)
        base_url = base_url_of(settings)
        agent = {"mbox": f"mailto:first-{uuid.uuid4().hex[:8]}@example.org"}
        statement = {
            "actor": agent,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "https://example.org/activities/welcome"},
        }

        status, _ = await Client(http, base_url, key).post(statement)
        assert status == 200

        # Generous: a shared machine may be slow; what matters is that it comes at all.
        count = await until(
            lambda: learner_statement_count(http, base_url, key, agent),
            within_s=120,
            what="the first statement counted",
        )
        assert count == 1
