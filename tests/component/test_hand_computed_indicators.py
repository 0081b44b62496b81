"""The live path gives the indicators worked out by hand for the reference's small history
(tests/unit/indicators/test_reference.py), in arrival order."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from bench.indicator_pipeline import IndicatorPipeline
from learning_record.domain.indicators import Entity, Window
from learning_record.domain.indicators.batch import ACTIVITY_SIDE, LEARNER_SIDE
from learning_record.domain.indicators.windows import epoch_ms
from tests.unit.indicators.test_reference import AS_OF, EXPECTED, HISTORY


@pytest.mark.parametrize(("window", "entity", "key", "expected"), EXPECTED)
async def test_live_path_gives_the_hand_computed_indicators(
    redis: Redis, window: Window, entity: Entity, key: str, expected: dict[str, Any]
) -> None:
    pipeline = IndicatorPipeline(redis)
    operations = []
    for document in HISTORY:
        operations += await pipeline.receive([document], partition=0)
    await pipeline.apply(operations, LEARNER_SIDE)
    await pipeline.apply(operations, ACTIVITY_SIDE)
    assert await pipeline.read(entity, key, window, epoch_ms(AS_OF)) == expected
