"""Tables of the worker, each backed by a changelog topic and keyed like learner_events_topic.

``use_partitioner`` sends each changelog record to the partition of its key, the same one the
learner event came from, even when a batch mixes partitions.
"""

from __future__ import annotations

from streams.app import app, settings

# b"<tenant>|<learner key>" -> {"statements": n, "applied": {source partition: [offset, index]}}
# Keys are bytes so that they are serialised raw, byte for byte as on learner_events_topic: the
# partitioner must place a changelog record where the learner's events are.
learner_tallies = app.Table(
    "learner-tallies",
    default=dict,
    key_type=bytes,
    partitions=settings.kafka.partitions,
    use_partitioner=True,
)
