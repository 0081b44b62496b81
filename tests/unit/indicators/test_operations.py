"""How indicator operations travel: rows that round-trip, records bounded in count and bytes."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from learning_record.domain.indicators.contributions import contribution_of
from learning_record.domain.indicators.operations import (
    IndicatorOp,
    application,
    decode_operations,
    encoded_records,
)
from learning_record.domain.xapi import parse_statement
from tests.pseudonyms import learner_ids
from tests.unit.factories import REMOVE, make_activity, make_agent, make_statement

LEARNER_ID = learner_ids("acme")


STORED = "2026-11-27T10:00:00.000Z"


def operation(name: str, index: int) -> IndicatorOp:
    """An application on an activity whose IRI ends with ``name``, as it travels (without the
    learner's identifying properties)."""
    agent = make_agent(mbox=REMOVE, account={"homePage": "https://lms.example.org", "name": "ada"})
    activity = make_activity(id=f"https://example.org/activities/{name}")
    statement = make_statement(actor=agent, object=activity, stored=STORED)
    document = parse_statement(statement).to_document()
    contribution = contribution_of(document, LEARNER_ID)
    assert contribution is not None
    return replace(application("acme", document, contribution, (0, index)), agent=None)


def test_a_row_names_the_learner_by_id_only() -> None:
    """Operations travel on Kafka, where an erased learner must leave nothing readable."""
    agent = make_agent(mbox="mailto:ada@example.org", name="Ada Lovelace")
    document = parse_statement(make_statement(actor=agent, stored=STORED)).to_document()
    contribution = contribution_of(document, LEARNER_ID)
    assert contribution is not None
    applied = application("acme", document, contribution, (0, 0))

    row = orjson.dumps(applied.to_row())

    assert applied.agent is not None  # the statement agent mirrors it to Redis itself
    assert b"ada@example.org" not in row
    assert b"Ada" not in row
    assert decode_operations(b"[" + row + b"]") == [replace(applied, agent=None)]


def test_records_carry_at_most_the_count_given_in_order() -> None:
    operations = [operation("ada", index) for index in range(5)]
    records = list(encoded_records(operations, most_operations=2, most_bytes=1 << 20))
    assert [len(carried) for _, carried in records] == [2, 2, 1]
    assert [op for value, _ in records for op in decode_operations(value)] == operations


def test_records_stay_under_the_byte_bound_whatever_the_identifiers_weigh() -> None:
    operations = [operation("x" * 3000, index) for index in range(4)]
    one = len(orjson.dumps([operations[0].to_row()]))
    records = list(encoded_records(operations, most_operations=2000, most_bytes=2 * one))
    assert [len(carried) for _, carried in records] == [2, 2]
    assert all(len(value) <= 2 * one for value, _ in records)
    assert [op for value, _ in records for op in decode_operations(value)] == operations


def test_an_operation_larger_than_the_bound_travels_alone() -> None:
    large, small = operation("y" * 5000, 0), operation("ada", 1)
    records = list(encoded_records([small, large, small], most_operations=10, most_bytes=1000))
    assert [carried for _, carried in records] == [[small], [large], [small]]


def test_a_retraction_row_without_the_application_it_undoes_is_refused() -> None:
    row = operation("ada", 0).to_row()
    row[0] = "retract"
    with pytest.raises(ValueError, match="a retraction names the application it undoes"):
        decode_operations(orjson.dumps([row]))
