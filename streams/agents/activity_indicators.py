"""Keep the indicators of activities, in the activity's partition."""

from __future__ import annotations

from faust.types import StreamT

from learning_domain.indicators import Entity
from streams.app import app
from streams.indicator_state import keep_indicators
from streams.tables import activity_state
from streams.topics import activity_events_topic


@app.agent(activity_events_topic)
async def keep_activity_indicators(stream: StreamT[bytes]) -> None:
    await keep_indicators(stream, activity_state, (Entity.ACTIVITY,))
