"""The routing rule: which operation a statement or a void produces, from the view's marks."""

from __future__ import annotations

from typing import Any, Literal

import orjson
import pytest

from learning_record.domain.identity import ifi_properties
from learning_record.domain.indicators.contributions import contribution_of
from learning_record.domain.indicators.operations import IndicatorOp
from learning_record.domain.indicators.routing import (
    VOIDED_FIRST,
    RouteMarks,
    RouteRequest,
    route_request,
    routed_operation,
)
from learning_record.domain.indicators.state import Origin
from learning_record.domain.xapi import parse_statement
from learning_record.domain.xapi.verbs import VOIDED
from tests.pseudonyms import learner_ids
from tests.unit.factories import (
    OTHER_STATEMENT_ID,
    STATEMENT_ID,
    make_group,
    make_statement,
    make_statement_ref,
)

LEARNER_ID = learner_ids("acme")

HERE: Origin = (0, 7)
ELSEWHERE: Origin = (2, 3)


def _stored(**overrides: Any) -> dict[str, Any]:
    return parse_statement(make_statement(**overrides)).to_document()


TARGET = _stored()
VOID = _stored(
    id=OTHER_STATEMENT_ID, verb={"id": VOIDED}, object=make_statement_ref(id=STATEMENT_ID)
)


def _route(document: dict[str, Any], marks: RouteMarks) -> IndicatorOp | None:
    contribution = contribution_of(document, LEARNER_ID)
    request = route_request(document, contribution, HERE)
    assert request is not None
    return routed_operation("acme", document, contribution, request, marks, LEARNER_ID)


def test_statements_ask_whether_they_count_and_voids_whether_their_target_is_retracted() -> None:
    assert route_request(TARGET, contribution_of(TARGET, LEARNER_ID), HERE) == RouteRequest(
        STATEMENT_ID, HERE, voids=False
    )
    assert route_request(VOID, contribution_of(VOID, LEARNER_ID), HERE) == RouteRequest(
        STATEMENT_ID, HERE, voids=True
    )


def test_a_statement_of_an_anonymous_group_asks_nothing() -> None:
    document = _stored(actor=make_group())
    assert route_request(document, contribution_of(document, LEARNER_ID), HERE) is None


def test_a_statement_counts_when_its_origin_holds_the_application() -> None:
    contribution = contribution_of(TARGET, LEARNER_ID)
    assert contribution is not None
    assert _route(TARGET, RouteMarks(HERE)) == IndicatorOp(
        "apply", HERE, "acme", contribution, None, ifi_properties(TARGET["actor"])
    )


@pytest.mark.parametrize(
    "applied_by",
    [ELSEWHERE, VOIDED_FIRST],
    ids=["a duplicate: another origin applied it", "voided before it was routed"],
)
def test_a_statement_does_not_count_when_its_origin_does_not_hold_the_application(
    applied_by: Origin | Literal["void"],
) -> None:
    assert _route(TARGET, RouteMarks(applied_by)) is None


def test_a_void_retracts_its_target_from_the_application_it_undoes() -> None:
    contribution = contribution_of(TARGET, LEARNER_ID)
    assert contribution is not None
    marks = RouteMarks(ELSEWHERE, HERE, orjson.dumps(TARGET))
    assert _route(VOID, marks) == IndicatorOp("retract", HERE, "acme", contribution, ELSEWHERE)


@pytest.mark.parametrize(
    "marks",
    [
        RouteMarks(ELSEWHERE, (1, 1), orjson.dumps(TARGET)),
        RouteMarks(VOIDED_FIRST, None, orjson.dumps(TARGET)),
        RouteMarks(None, None, orjson.dumps(TARGET)),
        RouteMarks(None, None, None),
        RouteMarks(ELSEWHERE, HERE, orjson.dumps(_stored(actor=make_group()))),
    ],
    ids=[
        "another void retracted it",
        "the target was voided before it was routed",
        "the target was never routed",
        "the target was never stored",
        "the target counted for nothing",
    ],
)
def test_a_void_retracts_nothing_unless_its_origin_holds_the_retraction_of_an_applied_target(
    marks: RouteMarks,
) -> None:

    assert _route(VOID, marks) is None
