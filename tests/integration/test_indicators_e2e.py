"""Every indicator of every learner, activity and learner-activity pair, for every window, read
over HTTP after statements went through Kafka and the worker, equals the batch reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson
from redis.asyncio import Redis

from learning_record.domain.access import IssuedKey
from learning_record.domain.identity import ifi_of_json
from learning_record.domain.indicators import iso_utc
from learning_record.domain.indicators.reference import compute_indicators
from learning_record.platform.settings import Settings
from learning_record.store import keys
from tests.integration.indicator_history import ACTIVITIES, LEARNERS, history
from tests.integration.indicator_reads import (
    consistent_through,
    progress_indicators,
    query_indicators,
)
from tests.integration.kafka_io import produce
from tests.integration.lr_cli import run_lr, run_lr_status
from tests.pseudonyms import learner_ids
from tests.waiting import until

WINDOWS = ["1h", "24h", "7d", "30d", "all"]


async def send_and_settle(
    settings: Settings,
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    statements: list[dict[str, Any]],
) -> None:
    """Produce straight to Kafka, then wait until the indicators are consistent through them."""
    await produce(settings, [orjson.dumps(s) for s in statements], key.record.tenant)
    sent_by = iso_utc(int(datetime.now(UTC).timestamp() * 1000))
    await until(
        lambda: consistent_through(http, base_url, key),
        lambda through: through >= sent_by,
        within_s=120,
        what=f"indicators consistent through {sent_by}",
    )


async def assert_matches_reference(
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    documents: list[dict[str, Any]],
    as_of: datetime,
) -> int:
    """Compare every entity for every window; the number of indicator sets compared."""
    compared = 0
    as_of_text = iso_utc(int(as_of.timestamp() * 1000))
    for window in WINDOWS:
        reference = compute_indicators(documents, window, as_of)
        answer = await query_indicators(
            http,
            base_url,
            key,
            learners=LEARNERS,
            activities=ACTIVITIES,
            window=window,
            as_of=as_of_text,
        )
        assert answer["as_of"] == as_of_text
        # Not trivially equal: every window counts something, and some void took effect.
        assert sum(served["indicators"]["statements"] for served in answer["learners"]) > 0
        for agent, served in zip(LEARNERS, answer["learners"], strict=True):
            expected = reference.learner(ifi_of_json(agent))
            assert served["indicators"] == expected, (window, agent)
        for activity, served in zip(ACTIVITIES, answer["activities"], strict=True):
            assert served["indicators"] == reference.activity(activity), (window, activity)
        for agent in LEARNERS:
            for activity in ACTIVITIES:
                served = await progress_indicators(
                    http, base_url, key, agent, activity, window=window, as_of=as_of_text
                )
                expected = reference.learner_activity(ifi_of_json(agent), activity)
                assert served["indicators"] == expected, (window, agent, activity)
        compared += len(LEARNERS) + len(ACTIVITIES) * (1 + len(LEARNERS))
    return compared


async def test_generated_history_with_voids_both_ways_matches_the_reference(
    settings: Settings,
    http: aiohttp.ClientSession,
    base_url: str,
    tenant_key: IssuedKey,
    redis: Redis,
) -> None:
    now = datetime.now(UTC)
    generated = history(seed=20261127, count=600, now=now)
    # Voids first, while their targets are unknown; then the statements, late arrivals last;
    # then the other voids, whose targets are counted by then.
    for part in (generated.voids_first, generated.statements, generated.voids_after):
        await send_and_settle(settings, http, base_url, tenant_key, part)

    voided = {void["object"]["id"] for void in generated.voids_first + generated.voids_after}
    counted = [s for s in generated.statements if s["id"] not in voided]
    everyone = compute_indicators(generated.everything, "all", now)
    assert sum(everyone.learner(ifi_of_json(a))["statements"] for a in LEARNERS) == len(counted)
    compared = await assert_matches_reference(
        http, base_url, tenant_key, generated.everything, now + timedelta(seconds=1)
    )
    assert compared == 5 * (6 + 5 * 7)

    # `lr verify` replays the topic and agrees; then it catches a tampered value and a
    # statement missing from the view.
    tenant = tenant_key.record.tenant
    output = await run_lr(settings, "verify", "--tenant", tenant)
    statements = len(generated.everything)
    assert output.strip().endswith(f"and {statements} statements: 0 differences")
    learner = learner_ids(tenant)(ifi_of_json(LEARNERS[0]))
    await redis.hset(keys.indicators(tenant, "learner", learner), "all", b'{"statements": 1}')
    lost = generated.statements[-1]["id"]
    await redis.delete(keys.statement(tenant, lost))
    code, output, _ = await run_lr_status(settings, "verify", "--tenant", tenant)
    assert code == 1
    assert "window=all" in output
    assert f"{tenant} statement {lost}: in the topic, not the view" in output.splitlines()
    assert output.strip().endswith(f"and {statements} statements: 2 differences")
