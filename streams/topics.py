"""The topics the worker reads and writes. Values are raw bytes, decoded by the agents with
orjson, so that a record that is not JSON reaches the dead-letter topic instead of a log line."""

from __future__ import annotations

from streams.app import app, settings

statements_topic = app.topic(
    settings.kafka.statements_topic, key_serializer="raw", value_serializer="raw"
)

# Internal, keyed by "<tenant>|<learner IFI>" and "<tenant>|<activity id>": every contribution to
# (or retraction from) an entity meets the entity's table entries in one partition, whichever
# input partition the statement came from. Record timestamps are the statements' stored times.
learner_events_topic = app.topic(
    settings.kafka.learner_events_topic,
    key_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
    partitions=settings.kafka.partitions,
    internal=True,
)

activity_events_topic = app.topic(
    settings.kafka.activity_events_topic,
    key_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
    partitions=settings.kafka.partitions,
    internal=True,
)

dead_letter_topic = app.topic(
    settings.kafka.dead_letter_topic, key_serializer="raw", value_serializer="raw"
)
