"""Keep the indicators of activities, in the activity's partition."""

from __future__ import annotations

from faust.types import StreamT

from learning_record.domain.indicators.batch import ACTIVITY_SIDE
from learning_record.stream import instruments
from learning_record.stream.app import app
from learning_record.stream.indicator_state import keep_indicators
from learning_record.stream.tables import activity_indicators
from learning_record.stream.topics import activity_ops_topic


@app.agent(activity_ops_topic)
@instruments.crash_counted
async def keep_activity_indicators(stream: StreamT[bytes]) -> None:
    await keep_indicators(stream, activity_indicators, ACTIVITY_SIDE)
