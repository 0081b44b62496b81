"""Keep the indicators of learners and of learner-activity pairs, in the learner's partition."""

from __future__ import annotations

from faust.types import StreamT

from learning_record.domain.indicators.batch import LEARNER_SIDE
from learning_record.stream import instruments
from learning_record.stream.app import app
from learning_record.stream.indicator_state import keep_indicators
from learning_record.stream.tables import learner_indicators
from learning_record.stream.topics import learner_ops_topic


@app.agent(learner_ops_topic)
@instruments.crash_counted
async def keep_learner_indicators(stream: StreamT[bytes]) -> None:
    await keep_indicators(stream, learner_indicators, LEARNER_SIDE)
