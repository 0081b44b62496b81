"""Tables of the worker, each backed by a changelog topic. Keys are ``<routing key>`` +
``ROUTING_END`` + ``<entity>|<inner>|<kind>|<bucket>`` (stream.partitioning.table_key), with
changelog partitions computed from the routing key; values are JSON bytes (the indicator state
values of domain.indicators.state), serialised once for the changelog and Redis alike.
"""

from __future__ import annotations

from learning_record.stream.partitioning import key_partitioned_table

# Learners and learner-activity pairs, in the learner's partition.
learner_indicators = key_partitioned_table("learner-indicators")
# Activities, in the activity's partition.
activity_indicators = key_partitioned_table("activity-indicators")
