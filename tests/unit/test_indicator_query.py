"""The work of an indicator batch query is bounded by the values it reads (issue #10)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from learning_record.domain.indicator_query import BatchQuery, most_entities
from learning_record.domain.indicators import Window


@pytest.mark.parametrize(
    ("window", "most"),
    [
        (Window.ALL, 1000),
        (Window.HOUR, 1000),
        (Window.DAY, 138),
        (Window.WEEK, 1000),
        (Window.MONTH, 277),
    ],
)
def test_the_entities_a_batch_may_ask_for_depend_on_the_window(window: Window, most: int) -> None:
    assert most_entities(window) == most


def test_a_batch_past_its_window_bound_is_refused_saying_the_bound() -> None:
    activities = [f"https://example.org/a/{n}" for n in range(139)]
    BatchQuery.model_validate({"activities": activities[:138], "window": "24h"})
    with pytest.raises(ValidationError, match="at most 138 entities per query for this window"):
        BatchQuery.model_validate({"activities": activities, "window": "24h"})


def test_a_batch_past_its_bound_is_refused_before_any_entity_is_validated() -> None:
    """Counting costs nothing; validating a thousand agents does: the count comes first."""
    not_agents = [{"not": "an agent"}] * 1001
    with pytest.raises(ValidationError) as refused:
        BatchQuery.model_validate({"learners": not_agents})
    assert [error["msg"] for error in refused.value.errors()] == [
        "Value error, asks for 1001 entities; one query answers 1000 at most"
    ]
    with pytest.raises(ValidationError) as refused:
        BatchQuery.model_validate({"learners": not_agents[:139], "window": "24h"})
    assert [error["msg"] for error in refused.value.errors()] == [
        "Value error, asks for 139 entities over 24h, whose answer reads 1440 buckets each: at "
        "most 138 entities per query for this window"
    ]


def test_a_batch_with_a_window_that_does_not_exist_is_refused_naming_the_window() -> None:
    with pytest.raises(ValidationError, match="window must be one of"):
        BatchQuery.model_validate({"activities": ["https://example.org/a"], "window": "2h"})
