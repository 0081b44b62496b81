"""Keep the indicators of activities, in the activity's partition."""

from __future__ import annotations

from faust.types import StreamT

from learning_domain.indicators.batch import ACTIVITY_SIDE
from streams.app import app
from streams.indicator_state import keep_indicators
from streams.tables import activity_indicators
from streams.topics import activity_ops_topic


@app.agent(activity_ops_topic)
async def keep_activity_indicators(stream: StreamT[bytes]) -> None:
    await keep_indicators(stream, activity_indicators, ACTIVITY_SIDE)
