"""Keep the indicators of learners and of learner-activity pairs, in the learner's partition."""

from __future__ import annotations

from faust.types import StreamT

from learning_domain.indicators.batch import LEARNER_SIDE
from streams.app import app
from streams.indicator_state import keep_indicators
from streams.tables import learner_indicators
from streams.topics import learner_ops_topic


@app.agent(learner_ops_topic)
async def keep_learner_indicators(stream: StreamT[bytes]) -> None:
    await keep_indicators(stream, learner_indicators, LEARNER_SIDE)
