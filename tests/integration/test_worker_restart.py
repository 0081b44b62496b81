"""A worker killed with SIGKILL comes back with its table state from the changelog alone."""

from __future__ import annotations

from collections.abc import Awaitable

import aiohttp
import orjson

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.identity import ifi_of
from learning_record.domain.indicators.table_keys import ROUTING_END
from learning_record.domain.xapi.statements import parse_statement
from tests.integration.conftest import isolated_settings, issue_key
from tests.integration.indicator_reads import learner_statement_count
from tests.integration.kafka_io import produce, read_matching
from tests.pseudonyms import learner_ids
from tests.waiting import until

AGENT = {"mbox": "mailto:restart@example.org"}


def attempt() -> bytes:
    return orjson.dumps(
        {
            "actor": AGENT,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
            "object": {"id": "https://example.org/activities/quiz-2"},
        }
    )


async def test_learner_count_survives_sigkill_through_the_changelog(
    services: LocalStack, http: aiohttp.ClientSession, base_url: str
) -> None:
    settings = isolated_settings(services.settings, "restart")
    assert settings.worker.table_store == "memory://"  # nothing on disk to come back from
    key = await issue_key(settings)
    tenant = key.record.tenant

    def count() -> Awaitable[int]:
        return learner_statement_count(http, base_url, key, AGENT)

    with LocalStack(settings) as processes:
        worker = processes.start_worker("worker-before-kill")
        await produce(settings, [attempt() for _ in range(5)], tenant)
        assert await until(count, lambda n: n >= 5, within_s=90, what="5 counted") == 5
        worker.kill()

        # The only copy of the state the new worker can restore from.
        changelog = f"{settings.worker.app_id}-learner-indicators-changelog"
        actor = parse_statement(orjson.loads(attempt())).actor
        routing = f"{tenant}|{learner_ids(tenant)(ifi_of(actor))}"
        prefix = routing.encode() + ROUTING_END
        assert await read_matching(
            settings, changelog, lambda r: (r.key or b"").startswith(prefix), expected=1
        )

        processes.start_worker("worker-after-kill")
        await produce(settings, [attempt()], tenant)
        # Restored state: 5 + 1. A worker that lost its state would mirror 1 over the 5. The
        # deadline covers, on a loaded machine, the killed member's session expiring, the
        # rebalance and the restore from the changelog (90 s was once not enough).
        assert await until(count, lambda n: n != 5, within_s=240, what="6th counted") == 6
