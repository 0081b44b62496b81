"""Tables of the worker, each backed by a changelog topic. Keys are ``<routing key>`` +
``ROUTING_END`` + ``<entity>|<inner>|<kind>|<bucket>`` (domain.indicators.table_keys), with
changelog partitions computed from the routing key; values are JSON bytes (the indicator state
values of domain.indicators.state), serialised once for the changelog and Redis alike.
"""

from __future__ import annotations

from learning_record.platform.topics import INDICATOR_TABLES
from learning_record.stream.partitioning import key_partitioned_table

LEARNER_TABLE, ACTIVITY_TABLE = INDICATOR_TABLES
# Learners and learner-activity pairs, in the learner's partition.
learner_indicators = key_partitioned_table(LEARNER_TABLE)
# Activities, in the activity's partition.
activity_indicators = key_partitioned_table(ACTIVITY_TABLE)
