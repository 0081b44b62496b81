"""Every Prometheus metric of the API and the worker, declared once.

Each process serves its own ``/metrics`` from the default registry. Every series a process
writes carries its ``component`` label (``api`` or ``worker``), and a statement is counted by
the one process where it entered: HTTP by the API, records produced straight to Kafka by the
worker. Summing a metric over all scraped processes therefore never counts anything twice. The
consumer lag gauges are readings of the broker, the same in every API process: aggregate them
with ``max``, not ``sum``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# The *_created series double the output and no alert or chart of ours needs them.
disable_created_metrics()  # type: ignore[no-untyped-call]

API = "api"
WORKER = "worker"

# Seconds; from a few milliseconds (a batch of one) to minutes (a worker catching up).
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FRESHNESS_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

STATEMENTS_INGESTED = Counter(
    "lr_statements_ingested",
    "Batches that reached validation: POST/PUT /statements requests (path=http), records read "
    "from the statements topic that the API did not write (path=kafka).",
    ["component", "path"],
)
STATEMENTS_ACCEPTED = Counter(
    "lr_statements_accepted",
    "Statements accepted: acknowledged by Kafka (http) or valid in a direct record (kafka).",
    ["component", "path"],
)
STATEMENTS_REJECTED = Counter(
    "lr_statements_rejected",
    "Batches refused as invalid: 400 answers (http), records dead-lettered (kafka).",
    ["component", "path"],
)
STATEMENTS_DEAD_LETTERED = Counter(
    "lr_statements_dead_lettered",
    "Records the worker sent to the dead-letter topic.",
    ["component"],
)

WORKER_BATCHES = Counter(
    "lr_worker_batches", "Batches the worker's agents processed.", ["component", "topic"]
)
WORKER_EVENTS = Counter(
    "lr_worker_events_processed", "Records the worker's agents processed.", ["component", "topic"]
)
WORKER_REREADS = Counter(
    "lr_worker_rereads",
    "Records the consumer dropped around a rebalance, read again from Kafka by the agent.",
    ["component", "topic"],
)
WORKER_REWINDS = Counter(
    "lr_worker_rewinds",
    "Partitions sought back to their committed offset: records waited on the broker while the "
    "consumer stood still (records dropped at the end of a partition around a rebalance).",
    ["component", "topic"],
)
WORKER_STATEMENTS = Counter(
    "lr_worker_statements_processed",
    "Statements the worker decoded from the statements topic, valid, to store and count.",
    ["component"],
)
WORKER_AGENT_CRASHES = Counter(
    "lr_worker_agent_crashes",
    "Agents that raised and were restarted by Faust: the batch they held was lost to them. "
    "Any increase is a bug: every record goes to the dead-letter topic instead.",
    ["component", "agent"],
)
WORKER_BATCH_SECONDS = Histogram(
    "lr_worker_batch_seconds",
    "Time an agent spent on one batch, its Redis writes included.",
    ["component", "topic"],
    buckets=_LATENCY_BUCKETS,
)
FRESHNESS_SECONDS = Histogram(
    "lr_freshness_seconds",
    "End-to-end freshness: from a record's timestamp (when the statement was accepted) to the "
    "end of the batch that wrote it to Redis; topic=statements is the statement view, the "
    "event topics are the indicators.",
    ["component", "topic"],
    buckets=_FRESHNESS_BUCKETS,
)

HTTP_REQUESTS = Counter(
    "lr_http_requests", "API requests answered.", ["component", "method", "route", "status"]
)
HTTP_REQUEST_SECONDS = Histogram(
    "lr_http_request_duration_seconds",
    "API request latency, until the response is ready.",
    ["component", "method", "route"],
    buckets=_LATENCY_BUCKETS,
)
# Seconds late, from a timer's jitter (well under a millisecond) to a loop held for seconds.
EVENT_LOOP_LAG_SECONDS = Histogram(
    "lr_api_event_loop_lag_seconds",
    "How much later than due the API's event loop woke a task sampling it every 50 ms.",
    ["component"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
RATE_LIMITED = Counter(
    "lr_rate_limited",
    "Requests refused with 429, by usage plan and limit (requests: rate; statements: quota).",
    ["component", "plan", "limit"],
)

REDIS_ERRORS = Counter("lr_redis_errors", "Failed Redis calls.", ["component", "operation"])
KAFKA_ERRORS = Counter("lr_kafka_errors", "Failed Kafka calls.", ["component", "operation"])

CONSUMER_LAG_MESSAGES = Gauge(
    "lr_consumer_lag_messages",
    "Records not yet committed by the consumer group (log-end minus committed offset).",
    ["group", "topic", "partition"],
)
CONSUMER_LAG_SECONDS = Gauge(
    "lr_consumer_lag_seconds",
    "Age of the oldest record the consumer group has not committed; 0 when caught up.",
    ["group", "topic", "partition"],
)
DEAD_LETTER_RECORDS = Gauge(
    "lr_dead_letter_records", "Records on the dead-letter topic (its log-end offsets).", ["topic"]
)
READY = Gauge("lr_ready", "1 when /ready answers 200 in this API process, else 0.", ["component"])
WORKER_HEARTBEAT_AGE_SECONDS = Gauge(
    "lr_worker_heartbeat_age_seconds", "Age of each known worker's last heartbeat.", ["worker"]
)
