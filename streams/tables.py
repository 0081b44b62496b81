"""Tables of the worker, each backed by a changelog topic and keyed like learner_events_topic,
with changelog partitions computed from the key (see streams.partitioning)."""

from __future__ import annotations

from streams.partitioning import key_partitioned_table

# b"<tenant>|<learner key>" -> {"statements": n, "applied": {source partition: [offset, index]}}
learner_tallies = key_partitioned_table("learner-tallies", default=dict)
