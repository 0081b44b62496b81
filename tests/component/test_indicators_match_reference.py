"""The live indicators equal the batch reference, for every entity and every window, whatever a
deployment does to the order of things.

Random histories mix several learners (every IFI kind, and an anonymous Group that is no
learner), activities and non-activity objects, every result property the indicators read,
duplicates (the same statement delivered twice, under another record), voids before and after
their targets (voids of voids, of statements that never come, several voids of one learner's
latest statements so that extremes run out and are recounted), arrivals on three input
partitions, and event times spread over the 40 days before the reference time, a little after
it, and on window edges.

Then the shipped code runs them (``IndicatorPipeline``), with no copy of it here: records are
stored in Redis and routed by the worker's rule (``store.routing``, ``domain.indicators.routing``);
their operations reach ``IndicatorBatch`` interleaved across input partitions as two workers
would deliver them (in order per partition, retractions before their applications included), in
batches of any size; the normaliser may redeliver a record; the indicator side may crash after
writing only part of a batch and get everything since its last commit again. The reference is
``domain.indicators.reference``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bench.indicator_pipeline import IndicatorPipeline
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.indicators import Entity, Window, window_bounds
from learning_record.domain.indicators.batch import ACTIVITY_SIDE, LEARNER_SIDE
from learning_record.domain.indicators.contributions import CMI5_PROGRESS, VIDEO_PROGRESS
from learning_record.domain.indicators.operations import IndicatorOp
from learning_record.domain.indicators.reference import compute_indicators
from learning_record.domain.indicators.windows import DAY_MS, HOUR_MS, iso_utc
from learning_record.domain.xapi import parse_statement
from learning_record.domain.xapi.verbs import COMPLETED, FAILED, PASSED, VIDEO_PLAYED, VOIDED
from tests.unit.factories import REMOVE, make_agent, make_group

AS_OF = datetime(2026, 3, 1, 12, 34, 56, 789_000, tzinfo=UTC)
AS_OF_MS = int(AS_OF.timestamp() * 1000)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PARTITIONS = 3

LEARNERS = [
    make_agent(mbox="mailto:ada@example.com"),
    make_agent(mbox=REMOVE, account={"homePage": "http://fun-mooc.fr", "name": "f6c5ca7f"}),
    make_agent(mbox=REMOVE, openid="http://openid.example.com/bob"),
    make_agent(mbox=REMOVE, mbox_sha1sum="ebd31e95054c018b10727ccffd2ef2ec3a016ee9"),
]
ANONYMOUS = make_group()
LEARNER_IFIS = [ifi_of_raw(learner) for learner in LEARNERS]
ACTIVITIES = ["http://example.com/activities/a", "course-v1:FUN+1", "uuid://7d4f3c70"]
NOT_ACTIVITIES = [
    make_agent(mbox="mailto:carol@example.com"),
    {"objectType": "StatementRef", "id": "0b7ffbc2-2d58-4b8b-8e42-2b8f4d1c6a3e"},
]
VERBS = [COMPLETED, PASSED, FAILED, VIDEO_PLAYED, "http://adlnet.gov/expapi/verbs/experienced"]
SCORES = [0, 1, -1, 0.5, -0.5, -0.0, 0.1, 0.2, 0.7, 1 / 3]
DURATIONS = ["PT1.5S", "PT4H35M59.14S", "P1D", "PT0.001S", "PT1.0015S", "PT30M", "P1W"]
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]


def _edges() -> list[int]:
    """Offsets from the reference time on each window's edges, and one millisecond inside."""
    edges = []
    for window in Window:
        bounds = window_bounds(window, AS_OF_MS)
        if bounds is not None:
            edges += [bounds[0] - 1, bounds[0], bounds[1] - 1, bounds[1]]
    return [edge - AS_OF_MS for edge in edges]


event_offsets = st.one_of(
    st.integers(-40 * DAY_MS, 2 * HOUR_MS),
    st.sampled_from(_edges()),
    st.integers(-90 * 60_000, 0),  # dense near the reference time, for the minute buckets
)

extensions = st.fixed_dictionaries(
    {},
    optional={
        VIDEO_PROGRESS: st.one_of(
            st.sampled_from([0, 1, 0.472, 0.25, 0.999]), st.just("0.5"), st.none()
        ),
        CMI5_PROGRESS: st.one_of(st.integers(0, 100), st.sampled_from([12.5, 99.9]), st.just("x")),
        "http://example.com/ext/other": st.just(0.3),
    },
)

results = st.fixed_dictionaries(
    {},
    optional={
        "completion": st.booleans(),
        "success": st.booleans(),
        "score": st.sampled_from(SCORES).map(lambda scaled: {"scaled": scaled}),
        "duration": st.sampled_from(DURATIONS),
        "extensions": extensions,
    },
)


def _timestamp(ms: int, zone: timezone, micros: int) -> str:
    moment = (EPOCH + timedelta(milliseconds=ms, microseconds=micros)).astimezone(zone)
    return moment.isoformat(timespec="microseconds" if micros else "milliseconds")


@st.composite
def statements(draw: st.DrawFn, statement_id: str) -> dict[str, Any]:
    event_ms = AS_OF_MS + draw(event_offsets)
    stored_ms = max(event_ms, AS_OF_MS - draw(st.integers(0, 40 * DAY_MS)))
    document: dict[str, Any] = {
        "id": statement_id,
        "actor": draw(st.sampled_from([*LEARNERS, ANONYMOUS])),
        "verb": {"id": draw(st.sampled_from(VERBS))},
        "object": draw(
            st.one_of(
                st.sampled_from(ACTIVITIES).map(lambda iri: {"objectType": "Activity", "id": iri}),
                st.sampled_from(ACTIVITIES).map(lambda iri: {"id": iri}),
                st.sampled_from(NOT_ACTIVITIES),
            )
        ),
        "stored": iso_utc(stored_ms),
    }
    if draw(st.integers(0, 9)):  # mostly with a timestamp; without, the event time is stored
        zone = draw(st.sampled_from(OFFSETS))
        document["timestamp"] = _timestamp(event_ms, zone, draw(st.sampled_from([0, 1, 999])))
    else:
        document["stored"] = iso_utc(event_ms)
    result = draw(st.one_of(st.none(), results))
    if result is not None:
        document["result"] = result
    return parse_statement(document).to_document()


def _void(statement_id: str, target_id: str) -> dict[str, Any]:
    document = {
        "id": statement_id,
        "actor": LEARNERS[0],
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target_id},
        "stored": iso_utc(AS_OF_MS - HOUR_MS),
    }
    return parse_statement(document).to_document()


def _id(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


@dataclass(frozen=True)
class Arrival:
    document: dict[str, Any]
    partition: int
    redelivered: bool  # the normaliser crashes after routing it, and routes it again


@st.composite
def burst(draw: st.DrawFn, first_id: int) -> list[dict[str, Any]]:
    """Several statements of one learner on one activity in one minute, with distinct times,
    progress and scores: voiding the best of them empties the extremes' tops."""
    learner = draw(st.sampled_from(LEARNERS))
    activity = draw(st.sampled_from(ACTIVITIES))
    start = AS_OF_MS - draw(st.integers(0, 3 * DAY_MS)) // 60_000 * 60_000
    documents = []
    for n in range(draw(st.integers(6, 9))):
        document = {
            "id": _id(first_id + n),
            "actor": learner,
            "verb": {"id": VIDEO_PLAYED},
            "object": {"id": activity},
            "result": {"score": {"scaled": n / 10}, "extensions": {VIDEO_PROGRESS: n / 10}},
            "timestamp": iso_utc(start + 1000 * n),
            "stored": iso_utc(start + 1000 * n),
        }
        documents.append(parse_statement(document).to_document())
    return documents


@st.composite
def histories(draw: st.DrawFn) -> list[Arrival]:
    count = draw(st.integers(1, 30))
    documents = [draw(statements(_id(n))) for n in range(count)]
    targets = draw(st.lists(st.integers(0, count + 3), max_size=8))
    for n, target in enumerate(targets):
        # Targets past the statements are earlier voids, or a statement that never comes.
        documents.append(_void(_id(1000 + n), _id(target if target <= count else 1000 + target)))
    repeated = draw(st.lists(st.sampled_from(documents), max_size=6))
    ordered = draw(st.permutations(documents + repeated))
    if draw(st.booleans()):
        # A burst first and, after everything else, voids of its latest five or its earliest
        # five: a top of four runs out, and is recounted from the view.
        burst_documents = draw(burst(500))
        voided = burst_documents[-5:] if draw(st.booleans()) else burst_documents[:5]
        voids = [_void(_id(2000 + n), target["id"]) for n, target in enumerate(voided)]
        ordered = burst_documents + ordered + voids
    return [
        Arrival(document, draw(st.integers(0, PARTITIONS - 1)), draw(st.integers(0, 9)) == 0)
        for document in ordered
    ]


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[int], list[int], int | None]:
    """How the indicator side gets its operations: which partition's next operation comes next
    (an interleaving), where batches end, and a crash: how many values of which batch were
    written before it (None: no crash)."""
    order = draw(st.lists(st.integers(0, PARTITIONS - 1), min_size=200, max_size=200))
    cuts = draw(st.lists(st.integers(1, 12), min_size=100, max_size=100))
    crash = draw(st.one_of(st.none(), st.integers(0, 40)))
    return order, cuts, crash


async def _run_side(
    pipeline: IndicatorPipeline,
    queues: list[list[IndicatorOp]],
    entities: tuple[Entity, ...],
    plan: tuple[list[int], list[int], int | None],
) -> None:
    """Deliver each input partition's operations in order, interleaved as ``plan`` says."""
    order, cuts, crash = plan
    queues = [list(queue) for queue in queues]
    delivered: list[IndicatorOp] = []
    picks = iter(order)
    while any(queues):
        pick = next(picks, None)
        nonempty = [q for q in queues if q]
        queue = queues[pick] if pick is not None and queues[pick] else nonempty[0]
        delivered.append(queue.pop(0))
    committed, batch_number = 0, 0
    sizes = iter(cuts)
    while committed < len(delivered):
        size = next(sizes, 5)
        batch = delivered[committed : committed + size]
        if crash is not None and batch_number == 1:
            # Crash during the second batch: the first was committed, this one half written.
            await pipeline.apply(batch, entities, written_before_crash=crash)
            crash = None
            continue  # redelivered from the last commit
        await pipeline.apply(batch, entities)
        committed += len(batch)
        batch_number += 1


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(arrivals=histories(), learner_plan=deliveries(), activity_plan=deliveries())
async def test_live_indicators_equal_the_reference_for_every_entity_and_window(
    redis: Redis,
    arrivals: list[Arrival],
    learner_plan: tuple[list[int], list[int], int | None],
    activity_plan: tuple[list[int], list[int], int | None],
) -> None:
    pipeline = IndicatorPipeline(redis)
    for arrival in arrivals:
        note(f"{arrival.partition} {arrival.redelivered} {arrival.document}")
    note(f"learner plan {learner_plan[0][:20]} {learner_plan[1][:10]} crash={learner_plan[2]}")
    note(f"activity plan {activity_plan[0][:20]} {activity_plan[1][:10]} crash={activity_plan[2]}")
    queues: list[list[IndicatorOp]] = [[] for _ in range(PARTITIONS)]
    for arrival in arrivals:
        operations = await pipeline.receive([arrival.document], arrival.partition)
        if arrival.redelivered:
            offset = pipeline.next_offset[arrival.partition] - 1
            operations += await pipeline.receive([arrival.document], arrival.partition, offset)
        queues[arrival.partition] += operations
    await _run_side(pipeline, queues, LEARNER_SIDE, learner_plan)
    await _run_side(pipeline, queues, ACTIVITY_SIDE, activity_plan)

    documents = [arrival.document for arrival in arrivals]
    for window in Window:
        reference = compute_indicators(documents, window, AS_OF)
        for ifi in LEARNER_IFIS:
            read = await pipeline.read(Entity.LEARNER, ifi, window, AS_OF_MS)
            assert read == reference.learner(ifi), (window, ifi)
            for activity in ACTIVITIES:
                pair = f"{ifi} {activity}"
                read = await pipeline.read(Entity.LEARNER_ACTIVITY, pair, window, AS_OF_MS)
                assert read == reference.learner_activity(ifi, activity), (window, pair)
        for activity in ACTIVITIES:
            read = await pipeline.read(Entity.ACTIVITY, activity, window, AS_OF_MS)
            assert read == reference.activity(activity), (window, activity)
