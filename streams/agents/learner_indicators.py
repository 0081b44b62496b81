"""Keep the indicators of learners and of learner-activity pairs, in the learner's partition."""

from __future__ import annotations

from faust.types import StreamT

from learning_domain.indicators import Entity
from streams.app import app
from streams.indicator_state import keep_indicators
from streams.tables import learner_state
from streams.topics import learner_events_topic


@app.agent(learner_events_topic)
async def keep_learner_indicators(stream: StreamT[bytes]) -> None:
    await keep_indicators(stream, learner_state, (Entity.LEARNER, Entity.LEARNER_ACTIVITY))
