"""The incremental state equals the batch reference, for every entity and every window.

Random histories mix several learners (every IFI kind, and an anonymous Group that is no
learner), activities and non-activity objects, every result property the indicators read,
duplicates (the same statement delivered twice), voids before and after their targets (and
voids of voids, and of statements that never come), arrivals in any order, and event times
spread over the 40 days before the reference time, a little after it, and on window edges.
"""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning_domain.identity import ifi_of_raw
from learning_domain.indicators import Entity, Window, window_bounds
from learning_domain.indicators.contributions import CMI5_PROGRESS, VIDEO_PROGRESS
from learning_domain.indicators.reference import compute_indicators
from learning_domain.indicators.windows import DAY_MS, HOUR_MS, iso_utc
from learning_domain.xapi import parse_statement
from learning_domain.xapi.verbs import COMPLETED, FAILED, PASSED, VIDEO_PLAYED, VOIDED
from tests.unit.factories import REMOVE, make_agent, make_group
from tests.unit.indicators.memory_state import MemoryState, Router, pair_key

AS_OF = datetime(2026, 3, 1, 12, 34, 56, 789_000, tzinfo=UTC)
AS_OF_MS = int(AS_OF.timestamp() * 1000)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

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


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[dict[str, Any], bool]]:
    """Arrivals in order, each with whether a waiting void is delivered before it."""
    count = draw(st.integers(1, 30))
    documents = [draw(statements(_id(n))) for n in range(count)]
    void_targets = draw(st.lists(st.integers(0, count + 3), max_size=8))
    for n, target in enumerate(void_targets):
        # Targets past the statements are earlier voids, or a statement that never comes.
        documents.append(_void(_id(1000 + n), _id(target if target <= count else 1000 + target)))
    repeated = draw(st.lists(st.sampled_from(documents), max_size=6))
    arrivals = draw(st.permutations(documents + repeated))
    return [(document, draw(st.booleans())) for document in arrivals]


def _incremental(arrivals: list[tuple[dict[str, Any], bool]], restore_at: int) -> MemoryState:
    state = MemoryState()
    router = Router(state)
    for position, (document, retract_first) in enumerate(arrivals):
        if position == restore_at:
            state.round_trip()
        router.receive(document, retract_first=retract_first)
    state.round_trip()
    return state


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals=histories(), restore_at=st.integers(0, 40))
def test_incremental_state_equals_reference_for_every_entity_and_window(
    arrivals: list[tuple[dict[str, Any], bool]], restore_at: int
) -> None:
    state = _incremental(arrivals, restore_at)
    documents = [document for document, _ in arrivals]
    for window in Window:
        reference = compute_indicators(documents, window, AS_OF)
        for ifi in LEARNER_IFIS:
            read = state.read(Entity.LEARNER, ifi, window, AS_OF_MS)
            assert read == reference.learner(ifi), (window, ifi)
            for activity in ACTIVITIES:
                read = state.read(
                    Entity.LEARNER_ACTIVITY, pair_key(ifi, activity), window, AS_OF_MS
                )
                assert read == reference.learner_activity(ifi, activity), (window, ifi, activity)
        for activity in ACTIVITIES:
            read = state.read(Entity.ACTIVITY, activity, window, AS_OF_MS)
            assert read == reference.activity(activity), (window, activity)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals=histories())
def test_state_counts_are_never_negative_and_voids_leave_only_bookkeeping(
    arrivals: list[tuple[dict[str, Any], bool]],
) -> None:
    state = _incremental(arrivals, restore_at=-1)
    for value in state.values.values():
        for name, field in value.items():
            if isinstance(field, dict) and name not in ("applied", "voided"):
                assert all(count > 0 for count in field.values()), (name, field)
            elif name == "statements":
                assert field > 0
