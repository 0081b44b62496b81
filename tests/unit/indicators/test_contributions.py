"""What one statement contributes: completion, progress precedence, score, duration, times.

The case tables keep one case per line, hence the line-length exemption.
"""

from typing import Any

import orjson
import pytest

from learning_record.domain.indicators.contributions import (
    CMI5_PROGRESS,
    VIDEO_PROGRESS,
    Contribution,
    contribution_of,
    duration_ms,
    voided_target,
)
from learning_record.domain.indicators.windows import iso_utc
from learning_record.domain.xapi import parse_statement
from tests.pseudonyms import learner_ids
from tests.unit.factories import (
    REMOVE,
    STORED,
    make_agent,
    make_group,
    make_statement,
    make_statement_ref,
)

EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
LEARNER_ID = learner_ids("acme")


def contribution(**overrides: Any) -> Contribution:
    """The contribution of a stored statement (validated, as the worker sees it)."""
    document = parse_statement(make_statement(stored=STORED, **overrides)).to_document()
    found = contribution_of(document, LEARNER_ID)
    assert found is not None
    return found


def test_contribution_carries_ids_learner_activity_and_times() -> None:
    found = contribution(actor=make_agent(mbox="mailto:ada@example.com"))
    assert found.statement_id == "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
    # The learner id, never the IFI: operations and tables travel on Kafka (docs/privacy.md).
    assert found.learner == LEARNER_ID("mbox:mailto:ada@example.com")
    assert found.activity == "http://example.com/activities/algebra-1"
    assert found.verb == "http://adlnet.gov/expapi/verbs/completed"
    assert iso_utc(found.event_ms) == "2021-11-29T23:09:00.867Z"
    assert iso_utc(found.stored_ms) == "2021-11-29T23:10:00.000Z"


def test_event_time_is_stored_when_timestamp_is_absent() -> None:
    found = contribution(timestamp=REMOVE)
    assert found.event_ms == found.stored_ms


def test_event_time_is_read_in_utc_whatever_the_offset() -> None:
    assert iso_utc(contribution(timestamp="2021-11-30T01:09:00.867219+02:00").event_ms) == (
        "2021-11-29T23:09:00.867Z"
    )


@pytest.mark.parametrize(
    ("overrides", "completes"),
    [
        ({"verb__id": EXPERIENCED}, False),
        ({"verb__id": EXPERIENCED, "result": {"completion": True}}, True),
        ({"verb__id": EXPERIENCED, "result": {"completion": False}}, False),
        ({"verb__id": "http://adlnet.gov/expapi/verbs/completed"}, True),
        ({"verb__id": PASSED}, True),
        # The verb alone completes, even when the result says otherwise.
        ({"verb__id": PASSED, "result": {"completion": False}}, True),
        ({"verb__id": "http://adlnet.gov/expapi/verbs/failed"}, False),
    ],
)
def test_a_statement_completes_on_completion_true_or_completed_or_passed(
    overrides: dict[str, Any], completes: bool
) -> None:
    assert contribution(**overrides).completes is completes


@pytest.mark.parametrize(
    ("result", "progress"),
    [
        ({}, None),
        ({"completion": True, "extensions": {VIDEO_PROGRESS: 0.25}}, 1.0),
        ({"extensions": {VIDEO_PROGRESS: 0.472}}, 0.472),
        ({"extensions": {VIDEO_PROGRESS: 1}}, 1.0),
        ({"extensions": {VIDEO_PROGRESS: 0}}, 0.0),
        (
            {"extensions": {VIDEO_PROGRESS: 0.25, CMI5_PROGRESS: 90}, "score": {"scaled": 0.5}},
            0.25,
        ),
        ({"extensions": {CMI5_PROGRESS: 42}, "score": {"scaled": 0.5}}, 0.42),
        ({"extensions": {CMI5_PROGRESS: 12.5}}, 0.125),
        ({"score": {"scaled": 0.5}}, 0.5),
        ({"score": {"scaled": 0}}, 0.0),
        ({"score": {"scaled": -0.0}}, 0.0),
        ({"score": {"scaled": -0.5}}, None),
        # Values that are not numbers are ignored: the next rule applies.
        ({"extensions": {VIDEO_PROGRESS: "0.5", CMI5_PROGRESS: 30}}, 0.3),
        ({"extensions": {VIDEO_PROGRESS: True}, "score": {"scaled": 0.75}}, 0.75),
        ({"extensions": {VIDEO_PROGRESS: None, CMI5_PROGRESS: "50"}}, None),
    ],
)
def test_progress_precedence_completion_video_cmi5_percent_then_nonnegative_score(
    result: dict[str, Any], progress: float | None
) -> None:
    found = contribution(verb__id=EXPERIENCED, result=result)
    assert found.progress == progress


@pytest.mark.parametrize("score", [0.5, 1, -1, 0.1, 1 / 3])
def test_score_is_scaled_as_a_float(score: float) -> None:
    found = contribution(result={"score": {"scaled": score}})
    assert found.score == score
    assert type(found.score) is float


def test_negative_zero_is_folded_into_zero() -> None:
    found = contribution(result={"score": {"scaled": -0.0}})
    assert found.score == 0.0
    assert repr(found.score) == "0.0"


def test_score_is_none_without_scaled() -> None:
    assert contribution(result={"score": {"raw": 3, "min": 0, "max": 5}}).score is None


@pytest.mark.parametrize(
    ("duration", "ms"),
    [
        ("PT4H35M59.14S", 16_559_140),
        ("PT1.5S", 1_500),
        ("PT0.0004S", 0),
        ("P1D", 86_400_000),
        ("P2W", 14 * 86_400_000),
        ("P1Y2M", (365 + 60) * 86_400_000),
        ("PT1,25S", 1_250),
    ],
)
def test_duration_is_whole_milliseconds(duration: str, ms: int) -> None:
    assert duration_ms(duration) == ms
    assert contribution(result={"duration": duration}).duration_ms == ms


def test_duration_is_zero_when_absent() -> None:
    assert contribution(result={"success": True}).duration_ms == 0
    assert contribution().duration_ms == 0


@pytest.mark.parametrize(
    ("result", "success"), [({}, None), ({"success": True}, True), ({"success": False}, False)]
)
def test_success_is_kept_as_sent(result: dict[str, Any], success: bool | None) -> None:
    assert contribution(result=result).success is success


def test_object_that_is_not_an_activity_has_no_activity() -> None:
    found = contribution(object=make_agent(mbox="mailto:bob@example.com"))
    assert found.activity is None
    activity_without_type = contribution(object={"id": "http://example.com/a"})
    assert activity_without_type.activity == "http://example.com/a"


def test_voiding_statements_and_anonymous_groups_contribute_nothing() -> None:
    void = parse_statement(
        make_statement(verb__id=VOIDED, object=make_statement_ref(), stored=STORED)
    ).to_document()
    assert contribution_of(void, LEARNER_ID) is None
    assert voided_target(void) == "e05aa883-acaf-40ad-bf54-02c8ce485fb0"
    anonymous = parse_statement(make_statement(actor=make_group(), stored=STORED)).to_document()
    assert contribution_of(anonymous, LEARNER_ID) is None
    assert voided_target(anonymous) is None


def test_identified_group_is_a_learner() -> None:
    found = contribution(actor=make_group(mbox="mailto:team@example.com"))
    assert found.learner == LEARNER_ID("mbox:mailto:team@example.com")


def test_statement_without_id_or_time_is_refused() -> None:
    with pytest.raises(ValueError, match="id"):
        contribution_of(make_statement(id=REMOVE), LEARNER_ID)
    with pytest.raises(ValueError, match="timestamp or stored"):
        contribution_of(make_statement(timestamp=REMOVE), LEARNER_ID)


def test_contribution_round_trips_through_a_json_row() -> None:
    found = contribution(result={"score": {"scaled": 0.5}, "duration": "PT1S", "success": True})
    assert Contribution.from_row(orjson.loads(orjson.dumps(found.to_row()))) == found
