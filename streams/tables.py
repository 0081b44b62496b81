"""Tables of the worker, each backed by a changelog topic. Keys are ``<routing key>`` +
``ROUTING_END`` + ``<entity>|<entity key>|<kind>|<bucket>`` (see streams.indicator_state), with
changelog partitions computed from the routing key (see streams.partitioning)."""

from __future__ import annotations

from streams.partitioning import key_partitioned_table

# Learners and learner-activity pairs, in the learner's partition.
learner_state = key_partitioned_table("learner-state", default=dict)
# Activities, in the activity's partition.
activity_state = key_partitioned_table("activity-state", default=dict)
