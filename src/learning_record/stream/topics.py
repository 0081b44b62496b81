"""The topics the worker reads and writes. Values are raw bytes, decoded by the agents with
orjson, so that a record that is not JSON reaches the dead-letter topic instead of a log line."""

from __future__ import annotations

from faust.types import TopicT

from learning_record.stream.app import app, settings


def _raw(name: str) -> TopicT:
    """A topic whose keys and values the agents read and write as bytes."""
    return app.topic(name, key_serializer="raw", value_serializer="raw")


statements_topic = _raw(settings.kafka.statements_topic)

# Indicator operations (domain.indicators.operations): one record per destination
# partition per batch of the statements topic, carrying every operation of that batch for that
# partition. The partition is computed from "<tenant>|<learner id>" or "<tenant>|<activity id>"
# (stream.partitioning), so every operation of an entity meets the entity's table entries.
# Record timestamps are the oldest stored time the record carries.
learner_ops_topic = _raw(settings.kafka.learner_ops_topic)

activity_ops_topic = _raw(settings.kafka.activity_ops_topic)

dead_letter_topic = _raw(settings.kafka.dead_letter_topic)

# Records of other formats (Caliper, SCORM, custom records), converted by the raw normaliser
# into statements for the statements topic (docs/process.md, "The raw stream").
raw_statements_topic = _raw(settings.kafka.raw_statements_topic)

# Statements in clear from producers other than the API, sealed by the worker onto the
# statements topic (docs/privacy.md). Kept as briefly as the raw topic.
direct_statements_topic = _raw(settings.kafka.direct_statements_topic)

# Attachments by "<tenant>|<sha2>": an erasure tombstones the signatures of the learner's
# statements.
attachments_topic = _raw(settings.kafka.attachments_topic)

# State and Agent Profile documents: an erasure tombstones those about the learner.
documents_topic = _raw(settings.kafka.documents_topic)

# Erasure requests and completions (docs/privacy.md), keyed by erasure id.
erasures_topic = _raw(settings.kafka.erasures_topic)
