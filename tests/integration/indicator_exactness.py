"""Waits and checks shared by the tests that prove indicators exact under faults: the worker
caught up, then every learner and activity compared with the batch reference."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp

from learning_record.domain.access import IssuedKey
from learning_record.domain.identity import ifi_of_json
from learning_record.domain.indicators import iso_utc
from learning_record.domain.indicators.reference import CountedStatements, compute_indicators
from learning_record.platform.settings import Settings
from tests.integration.indicator_reads import consistent_through, query_indicators
from tests.integration.isolated_stack import group_probe
from tests.waiting import until_done

WINDOWS = ["1h", "24h", "7d", "30d", "all"]


async def settle(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, settings: Settings
) -> None:
    """Wait until the indicators are consistent through everything sent, for as long as the
    worker group keeps committing: however slow the machine, never a fixed deadline."""
    sent_by = iso_utc(int(datetime.now(UTC).timestamp() * 1000))
    async with group_probe(settings) as group:

        async def reading() -> tuple[str, int]:
            return await consistent_through(http, base_url, key), await group.committed()

        await until_done(
            reading,
            lambda read: read[0] >= sent_by,
            lambda read: read,
            what="indicators consistent through everything sent",
        )


async def compare_learners_and_activities(
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    documents: list[dict[str, Any]],
    counted: CountedStatements,
    as_of: datetime,
) -> int:
    """Every learner and activity of ``documents`` (``counted``: the same, parsed once, as
    50,000 documents take seconds to parse), every window; the number compared."""
    everything = compute_indicators(counted, "all", as_of)
    agents = {ifi: None for ifi in everything.learners}
    actors = {ifi_of_json(d["actor"]): d["actor"] for d in documents if "member" not in d["actor"]}
    learners = [actors[ifi] for ifi in agents if ifi in actors]
    activities = sorted(everything.activities)
    as_of_text = iso_utc(int(as_of.timestamp() * 1000))
    compared = 0
    for window in WINDOWS:
        reference = compute_indicators(counted, window, as_of)
        for first in range(0, len(learners), 900):
            chunk = learners[first : first + 900]
            answer = await query_indicators(
                http, base_url, key, learners=chunk, activities=[], window=window, as_of=as_of_text
            )
            for agent, served in zip(chunk, answer["learners"], strict=True):
                assert served["indicators"] == reference.learner(ifi_of_json(agent)), window
                compared += 1
        answer = await query_indicators(
            http, base_url, key, learners=[], activities=activities, window=window, as_of=as_of_text
        )
        for activity, served in zip(activities, answer["activities"], strict=True):
            assert served["indicators"] == reference.activity(activity), (window, activity)
            compared += 1
    return compared
