"""``lr replay`` with a view retention: a statement past it is written, routed and purged as the
live path does it, so that the view forgets it but remembers what it told of its Agents, and
retention keeps what an erasure of its owner needs."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from redis.asyncio import Redis

from learning_record.cli.replay import _flush, _replayed, _Retention
from learning_record.cli.statement_log import LoggedRecord
from learning_record.domain.indicators.state import origin_of
from learning_record.store import known_objects
from learning_record.store.retired_statements import retired_statements
from learning_record.store.statements import fetch_statement
from tests.pseudonyms import learner_ids

DAY_MS = 86_400_000
TENANT = "t1"
LEARNER_ID = learner_ids(TENANT)
ADA = LEARNER_ID("mbox:mailto:ada@example.org")  # the view names agents by pseudonym


def statement(statement_id: str, stored: str, name: str) -> dict[str, Any]:
    return {
        "id": statement_id,
        "actor": {"mbox": "mailto:ada@example.org", "name": name},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://example.org/activities/1"},
        "stored": stored,
        "timestamp": stored,
        "authority": {"mbox": "mailto:lrs@example.org"},
        "version": "1.0.3",
    }


async def test_a_statement_past_the_retention_is_remembered_and_retired_not_viewed(
    redis: Redis,
) -> None:
    old = statement("6690e6c9-3ef0-4ed3-8b37-7f3964730bee", "2026-10-01T00:00:00.000Z", "Ada O.")
    recent = statement("7790e6c9-3ef0-4ed3-8b37-7f3964730bee", "2026-12-02T00:00:00.000Z", "Ada D.")
    record = LoggedRecord(TENANT, [(0, old), (1, recent)], partition=0, offset=7)
    replayed = _replayed(record, LEARNER_ID)
    # A record whose statements all stay closed (an erased learner's) leaves nothing pending.
    pending = defaultdict(list, {TENANT: replayed, "t2": []})
    agents: dict[tuple[str, str], Any] = {}
    retention = _Retention(30 * DAY_MS)
    retention.saw(replayed)

    await _flush(redis, pending, agents, learner_ids)
    await retention.purge(redis, [TENANT, "t2"], learner_ids, final=False)

    assert retention.purged == 1  # older than 30 days behind the latest statement replayed
    assert await fetch_statement(redis, TENANT, old["id"]) is None
    assert await fetch_statement(redis, TENANT, recent["id"]) is not None
    assert await known_objects.names_of(redis, TENANT, ADA) == ["Ada O.", "Ada D."]
    (retired,) = await retired_statements(redis, TENANT, ADA)
    assert (retired.statement_id, retired.applied_at) == (old["id"], origin_of(0, 7, 0))
    assert agents == {(TENANT, ADA): {"mbox": "mailto:ada@example.org"}}
