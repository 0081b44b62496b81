"""No record of any shape stops the stream or takes a neighbour with it (issue 10).

Hypothesis writes rounds of hostile records straight to the statements topic of a worker of
its own, interleaved with valid ones: random bytes, random JSON, invalid and deeply nested
statements, bad tenant headers, records that claim to come from the API without what it sets,
oversized records. Every valid statement must be stored and
counted for its learner, every other record must reach the dead-letter topic with its reason
and store nothing, and no agent may ever have raised.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain import ingest
from learning_record.domain.access import IssuedKey
from learning_record.domain.xapi.nesting import MAX_NESTING
from learning_record.platform.settings import Settings
from learning_record.platform.topics import ensure_topics
from learning_record.store.statements import fetch_statement
from tests.integration.conftest import issue_key
from tests.integration.indicator_reads import learner_statement_count
from tests.integration.isolated_stack import base_url_of, isolated_stack
from tests.integration.kafka_io import produce_raw, read_matching
from tests.integration.metrics_text import samples, scrape
from tests.ports import free_ports
from tests.waiting import until

ROUNDS = 15
MAX_DIRECT_BYTES = 64 * 1024
DEFAULT_TENANT = "default"
# A statement, its context and its extensions are three levels above an extension's value.
ABOVE_EXTENSION = 3
VERB = "http://adlnet.gov/expapi/verbs/attempted"


@dataclass(frozen=True)
class Hostile:
    """A record and what must become of it: its statements stored and counted in ``tenant``,
    or (``reason`` set) a dead letter whose reason starts with ``reason``, storing nothing."""

    value: bytes
    headers: list[tuple[str, bytes]]
    statements: list[dict[str, Any]] = field(default_factory=list)
    tenant: str = ""
    reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.reason is None


def statement(learner: str, **extra: Any) -> dict[str, Any]:
    # Not drawn: derandomized draws repeat ids across rounds, where they would be conflicts.
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": learner},
        "verb": {"id": VERB},
        "object": {"id": "https://example.org/activities/fuzz"},
        **extra,
    }


def nested_extension(document: dict[str, Any], levels: int) -> bytes:
    """``document`` with an extension value ``levels`` objects deep, written by hand: orjson
    refuses to write more than 254 levels."""
    marked = document | {"context": {"extensions": {"https://example.org/deep": "here"}}}
    return orjson.dumps(marked).replace(b'"here"', b'{"a":' * levels + b"1" + b"}" * levels)


@st.composite
def records(draw: st.DrawFn, tenant: str, learners: list[str], signing_key: bytes) -> Hostile:
    """One record of any of the shapes the issue names, with what must become of it."""
    learner = draw(st.sampled_from(learners))
    header = [(ingest.TENANT_HEADER, tenant.encode())]
    kind = draw(st.sampled_from(KINDS))
    if kind == "valid":
        batch = [statement(learner) for _ in range(draw(st.integers(1, 3)))]
        return Hostile(orjson.dumps(batch), header, batch, tenant)
    if kind == "valid_default_tenant":
        sent = statement(learner)
        return Hostile(orjson.dumps(sent), [], [sent], DEFAULT_TENANT)
    if kind == "valid_nested_within_limit":
        sent = statement(learner)
        value = nested_extension(sent, draw(st.integers(1, MAX_NESTING - ABOVE_EXTENSION)))
        return Hostile(value, header, [sent], tenant)
    if kind == "valid_claiming_api_unsigned":  # validated in full, like any direct record
        sent = statement(learner)
        api = [(ingest.SOURCE_HEADER, ingest.SOURCE_API)]
        return Hostile(orjson.dumps(sent), header + api, [sent], tenant)
    if kind == "signed_without_what_the_api_sets":
        missing = draw(st.sampled_from(["id", "stored"]))
        sent = statement(learner, stored="2026-11-27T10:00:00.000Z")
        value = orjson.dumps([{k: v for k, v in sent.items() if k != missing}])
        signed = [
            (ingest.SOURCE_HEADER, ingest.SOURCE_API),
            (ingest.SIGNATURE_HEADER, ingest.signature(signing_key, tenant, value)),
        ]
        return Hostile(value, header + signed, [sent], tenant, f"[0].{missing}: missing from")
    if kind == "random_bytes":
        return Hostile(draw(st.binary(max_size=300)), header, reason="")
    if kind == "random_json":
        return Hostile(orjson.dumps(draw(JSON)), header, reason="")
    if kind == "missing_property":
        name = draw(st.sampled_from(["actor", "verb", "object"]))
        sent = statement(learner)
        value = orjson.dumps({k: v for k, v in sent.items() if k != name})
        return Hostile(value, header, [sent], tenant, f"{name}: is required")
    if kind == "batch_with_one_invalid":
        good, bad = statement(learner), statement(learner)
        value = orjson.dumps([good, bad | {"verb": {"id": "not an iri"}}])
        return Hostile(value, header, [good, bad], tenant, "[1].verb.id: must be")
    if kind == "nested_too_deep":
        sent = statement(learner)
        value = nested_extension(sent, draw(st.integers(MAX_NESTING, 900)))
        return Hostile(value, header, [sent], tenant, 'context.extensions["https://exa')
    if kind == "nested_beyond_the_json_parser":
        sent = statement(learner)
        value = nested_extension(sent, draw(st.integers(1100, 3000)))
        return Hostile(value, header, [sent], tenant, "invalid JSON: depth limit exceeded")
    if kind == "tenant_that_is_not_a_tenant":
        claimed = draw(st.sampled_from([f"{tenant}|x", "a|b", tenant.upper(), "t}x", "é"]))
        sent = statement(learner)
        value = orjson.dumps(sent)
        return Hostile(value, [(ingest.TENANT_HEADER, claimed.encode())], [sent], tenant, "tenant")
    assert kind == "oversized"
    sent = statement(learner)
    padded = sent | {"context": {"extensions": {"https://example.org/pad": "x" * 70_000}}}
    value = orjson.dumps(padded)
    reason = f"record of {len(value)} bytes is over the {MAX_DIRECT_BYTES}-byte limit"
    return Hostile(value, header, [sent], tenant, reason)


KINDS = [
    "valid",
    "valid_default_tenant",
    "valid_nested_within_limit",
    "valid_claiming_api_unsigned",
    "signed_without_what_the_api_sets",
    "random_bytes",
    "random_json",
    "missing_property",
    "batch_with_one_invalid",
    "nested_too_deep",
    "nested_beyond_the_json_parser",
    "tenant_that_is_not_a_tenant",
    # A record timestamp that is not a time would be one too, but the broker refuses those.
    "oversized",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@dataclass
class Worker:
    """The isolated worker under test and what the test reads it with."""

    settings: Settings
    keys: dict[str, IssuedKey]
    metrics_url: str


async def check_round(worker: Worker, round_records: list[Hostile]) -> None:
    settings = worker.settings
    landed = await produce_raw(settings, [(r.value, r.headers) for r in round_records])
    where = {(m.partition, m.offset): r for m, r in zip(landed, round_records, strict=True)}
    refused = {place for place, r in where.items() if not r.valid}

    def source(record: Any) -> tuple[int, int]:
        headers = dict(record.headers)
        return int(headers["lr-source-partition"]), int(headers["lr-source-offset"])

    dead = await read_matching(
        settings, settings.kafka.dead_letter_topic, lambda r: source(r) in refused, len(refused)
    )
    reasons = {source(r): dict(r.headers)[ingest.DLQ_REASON_HEADER].decode() for r in dead}
    assert set(reasons) == refused
    for place, reason in reasons.items():
        expected_reason = where[place].reason
        assert expected_reason is not None
        assert reason, "a dead letter without a reason"
        assert reason.startswith(expected_reason), (reason, expected_reason)

    counted: Counter[tuple[str, str]] = Counter()
    for r in round_records:
        if r.valid:
            counted.update((r.tenant, s["actor"]["mbox"]) for s in r.statements)
    async with aiohttp.ClientSession() as http:
        for (tenant, learner), expected in counted.items():
            count = await counted_eventually(http, worker, tenant, learner, expected)
            assert count == expected

    redis = Redis.from_url(settings.redis.url)
    try:
        for r in round_records:
            for sent in r.statements:
                stored = await fetch_statement(redis, r.tenant, sent["id"])
                assert (stored is not None) == r.valid, (r.reason, sent["id"])
    finally:
        await redis.aclose()


async def counted_eventually(
    http: aiohttp.ClientSession, worker: Worker, tenant: str, learner: str, expected: int
) -> int:
    base_url, key = base_url_of(worker.settings), worker.keys[tenant]
    return await until(
        lambda: learner_statement_count(http, base_url, key, {"mbox": learner}),
        lambda count: count >= expected,
        within_s=60,
        what=f"{expected} statements counted for {learner}",
    )


def crash_counts(text: str) -> dict[str, float]:
    return {
        dict(labels)["agent"]: value
        for (name, labels), value in samples(text).items()
        if name == "lr_worker_agent_crashes_total"
    }


async def worker_metrics(url: str) -> str:
    async with aiohttp.ClientSession() as http:
        return await scrape(http, url)


def test_hostile_records_are_dead_lettered_and_their_neighbours_stored_and_counted(
    services: LocalStack,
) -> None:
    (metrics_port,) = free_ports(1)
    env = {
        "LR_INGEST__MAX_DIRECT_RECORD_BYTES": str(MAX_DIRECT_BYTES),
        "LR_DEFAULT_TENANT": DEFAULT_TENANT,
        "LR_WORKER__METRICS_PORT": str(metrics_port),
    }
    with isolated_stack(services.settings, "hostile") as processes:
        stack = processes.settings
        asyncio.run(ensure_topics(stack.kafka))
        processes.start_api()
        worker_process = processes.start_worker(extra_env=env)
        tenant = f"fz{uuid.uuid4().hex[:10]}"
        keys = {
            name: asyncio.run(issue_key(stack, tenant=name)) for name in (tenant, DEFAULT_TENANT)
        }
        worker = Worker(stack, keys, f"http://{stack.worker.metrics_host}:{metrics_port}/metrics")
        signing_key = stack.ingest.signing_key.get_secret_value().encode()
        rounds = 0

        @given(data=st.data())
        @settings(
            max_examples=ROUNDS,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def round_of_hostile_records(data: st.DataObject) -> None:
            nonlocal rounds
            attempt = uuid.uuid4().hex[:8]  # each round counts for learners of its own
            learners = [f"mailto:l{i}-{attempt}@example.org" for i in range(2)]
            drawn = data.draw(st.lists(records(tenant, learners, signing_key), max_size=12))
            valid_last = records(tenant, learners, signing_key).filter(lambda r: r.valid)
            asyncio.run(check_round(worker, [*drawn, data.draw(valid_last)]))
            rounds += 1

        round_of_hostile_records()

        assert rounds == ROUNDS
        assert worker_process.alive()
        crashes = crash_counts(asyncio.run(worker_metrics(worker.metrics_url)))
        assert crashes == {
            "normalise": 0,
            "seal_direct": 0,
            "erase_learners": 0,
            "keep_learner_indicators": 0,
            "keep_activity_indicators": 0,
        }
