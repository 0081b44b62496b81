"""Importing this package registers every agent and timer on the app."""

from learning_record.stream.agents import (
    activity_indicators,
    bucket_retention,
    direct_input,
    erasures,
    learner_indicators,
    normalise,
    raw_input,
    stalled_partitions,
    view_retention,
)

__all__ = [
    "activity_indicators",
    "bucket_retention",
    "direct_input",
    "erasures",
    "learner_indicators",
    "normalise",
    "raw_input",
    "stalled_partitions",
    "view_retention",
]
