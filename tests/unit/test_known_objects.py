"""The Person object (xAPI Communication 2.4) and the merged Activity definition (2.5)."""

from __future__ import annotations

from typing import Any

from learning_record.domain.full_activity import full_activity, merged_definition
from learning_record.domain.person import person_of
from learning_record.domain.xapi.agents import Agent

VERB = {"id": "http://adlnet.gov/expapi/verbs/answered"}


def statement(actor: dict[str, Any], target: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"actor": actor, "verb": VERB, "object": target, **more}


def test_a_person_gathers_names_of_its_ifi_in_every_position_and_group_member() -> None:
    ada = {"mbox": "mailto:ada@example.com"}
    group = {"objectType": "Group", "member": [{**ada, "name": "Member Ada"}]}
    statements = [
        statement({**ada, "name": "Ada"}, {"id": "https://x.org/a"}),
        statement(group, {"id": "https://x.org/a"}),
        statement({"mbox": "mailto:z@example.com", "name": "Zed"}, {"id": "https://x.org/a"}),
        statement({**ada, "name": "Ada"}, {"id": "https://x.org/a"}),
    ]

    person = person_of(Agent.model_validate(ada), statements)

    assert person == {
        "objectType": "Person",
        "name": ["Ada", "Member Ada"],
        "mbox": ["mailto:ada@example.com"],
    }


def test_later_definitions_win_by_language_and_extension_key() -> None:
    known = {"name": {"en": "A", "fr": "A"}, "extensions": {"https://x.org/e": 1}, "type": "t:1"}
    later = {"name": {"en": "B"}, "extensions": {"https://x.org/f": 2}, "type": "t:2"}

    assert merged_definition(known, later) == {
        "name": {"en": "B", "fr": "A"},
        "extensions": {"https://x.org/e": 1, "https://x.org/f": 2},
        "type": "t:2",
    }


def test_an_interaction_is_taken_whole_from_the_latest_definition_that_has_one() -> None:
    known = {"interactionType": "likert", "scale": [{"id": "1"}], "correctResponsesPattern": ["1"]}
    later = {"interactionType": "true-false"}

    assert merged_definition(known, later) == {"interactionType": "true-false"}


def test_an_activity_inside_a_substatement_gives_its_definition_too() -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:a@b.c"},
        "verb": VERB,
        "object": {"id": "https://x.org/a", "definition": {"name": {"en": "Inner"}}},
    }

    assert full_activity("https://x.org/a", [statement({"mbox": "mailto:a@b.c"}, sub)]) == {
        "objectType": "Activity",
        "id": "https://x.org/a",
        "definition": {"name": {"en": "Inner"}},
    }
