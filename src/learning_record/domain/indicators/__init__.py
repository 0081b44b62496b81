"""Rolling learning indicators: what they mean, and how they are kept exactly (docs/indicators.md).

- ``windows``: the windows, their bucket grid and the time arithmetic (epoch milliseconds).
- ``contributions``: what one statement contributes, extracted once per statement.
- ``extremes``: bounded tops for maxima and minima, exact under removal.
- ``state``: the incremental state values, applied exactly once by origin, retracted exactly.
- ``operations``: the routing rule, and the operations that travel to the indicator agents.
- ``batch``: one batch of operations against one side's values, each loaded and written once.
- ``readers``: indicators read from state values (lifetime, or the buckets of a window).
- ``reference``: the independent batch reference, for tests and verification only.
"""

from learning_record.domain.indicators.contributions import (
    Contribution,
    contribution_of,
    voided_target,
)
from learning_record.domain.indicators.readers import (
    activity_indicators,
    learner_indicators,
    progress_indicators,
    read_indicators,
)
from learning_record.domain.indicators.state import (
    Entity,
    EntityState,
    StateValue,
    apply,
    entities_of,
    expired,
    retract,
)
from learning_record.domain.indicators.windows import (
    Granularity,
    Window,
    bucket_ids,
    buckets_for_window,
    in_window,
    iso_utc,
    parse_as_of,
    parse_window,
    window_bounds,
)

__all__ = [
    "Contribution",
    "Entity",
    "EntityState",
    "Granularity",
    "StateValue",
    "Window",
    "activity_indicators",
    "apply",
    "bucket_ids",
    "buckets_for_window",
    "contribution_of",
    "entities_of",
    "expired",
    "in_window",
    "iso_utc",
    "learner_indicators",
    "parse_as_of",
    "parse_window",
    "progress_indicators",
    "read_indicators",
    "retract",
    "voided_target",
    "window_bounds",
]
