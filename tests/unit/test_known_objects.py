"""The Person object (xAPI Communication 2.4) and the merged Activity definition (2.5): what a
statement gives them, and how the parts the view holds make the answer. The merge of parts
across statements is the store's (tests/component/scripts/test_remember_known_objects.py)."""

from __future__ import annotations

from typing import Any

import orjson

from learning_record.domain.full_activity import DefinitionPart, definition_parts, full_activity
from learning_record.domain.person import names_seen, person_of
from learning_record.domain.xapi.agents import Agent

VERB = {"id": "http://adlnet.gov/expapi/verbs/answered"}
ADA = "mbox:mailto:ada@example.com"


def statement(actor: dict[str, Any], target: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"actor": actor, "verb": VERB, "object": target, **more}


def test_names_come_from_every_position_and_group_member_each_once() -> None:
    ada = {"mbox": "mailto:ada@example.com"}
    group = {"objectType": "Group", "member": [{**ada, "name": "Member Ada"}]}
    sub = {"objectType": "SubStatement", "actor": {**ada, "name": "Ada"}, "verb": VERB}
    seen = names_seen(
        statement(
            {**ada, "name": "Ada"},
            {**sub, "object": {"id": "https://x.org/a"}},
            context={"instructor": group, "team": {"mbox": "mailto:z@example.com", "name": "Z"}},
        )
    )

    assert seen == [(ADA, "Ada"), (ADA, "Member Ada"), ("mbox:mailto:z@example.com", "Z")]


def test_an_anonymous_group_and_a_nameless_agent_give_no_name() -> None:
    group = {"objectType": "Group", "name": "Anonymous", "member": [{"mbox": "mailto:a@b.c"}]}

    assert names_seen(statement(group, {"id": "https://x.org/a"})) == []


def test_a_person_has_the_requested_name_first_then_the_names_seen() -> None:
    agent = Agent.model_validate({"mbox": "mailto:ada@example.com", "name": "Dr Ada"})

    assert person_of(agent, ["Ada", "Dr Ada", "Ada L."]) == {
        "objectType": "Person",
        "name": ["Dr Ada", "Ada", "Ada L."],
        "mbox": ["mailto:ada@example.com"],
    }


def test_a_person_without_any_name_has_its_ifi_alone() -> None:
    agent = Agent.model_validate({"account": {"homePage": "https://lms.x", "name": "7"}})

    assert person_of(agent, []) == {
        "objectType": "Person",
        "account": [{"homePage": "https://lms.x", "name": "7"}],
    }


def test_a_definition_splits_by_language_extension_key_and_the_interaction_whole() -> None:
    definition = {
        "name": {"en": "Q", "fr": "Q"},
        "description": {"en": "Is it?"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "moreInfo": "https://x.org/more",
        "interactionType": "choice",
        "correctResponsesPattern": ["a"],
        "choices": [{"id": "a", "description": {"en": "A"}}],
        "extensions": {"https://x.org/e": {"deep": 1}},
    }

    parts = definition_parts(
        statement({"mbox": "mailto:a@b.c"}, {"id": "https://x.org/q", "definition": definition})
    )

    assert sorted((p.field, orjson.loads(p.value), p.first_wins) for p in parts) == [
        ("description:en", "Is it?", False),
        ("extensions:https://x.org/e", {"deep": 1}, False),
        (
            "interaction",
            {
                "interactionType": "choice",
                "correctResponsesPattern": ["a"],
                "choices": [{"id": "a", "description": {"en": "A"}}],
            },
            True,
        ),
        ("moreInfo", "https://x.org/more", False),
        ("name:en", "Q", False),
        ("name:fr", "Q", False),
        ("type", "http://adlnet.gov/expapi/activities/cmi.interaction", True),
    ]
    assert {p.activity_id for p in parts} == {"https://x.org/q"}


def test_the_first_place_in_a_statement_gives_a_part_and_substatements_give_theirs() -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:a@b.c"},
        "verb": VERB,
        "object": {"id": "https://x.org/a", "definition": {"name": {"en": "Inner"}}},
    }
    parent = {"id": "https://x.org/a", "definition": {"name": {"en": "Parent"}}}

    parts = definition_parts(
        statement(
            {"mbox": "mailto:a@b.c"},
            sub,
            context={"contextActivities": {"parent": [parent]}},
        )
    )

    assert parts == [DefinitionPart("https://x.org/a", "name:en", b'"Parent"', False)]


def test_an_activity_is_rebuilt_from_its_parts_and_alone_without_any_2_5_s2_b1() -> None:
    parts = {
        "name:en": "Q",
        "name:fr": "Q?",
        "extensions:https://x.org/e": 1,
        "interaction": {"interactionType": "true-false", "correctResponsesPattern": ["true"]},
        "type": "t:1",
    }

    assert full_activity("https://x.org/q", parts) == {
        "objectType": "Activity",
        "id": "https://x.org/q",
        "definition": {
            "name": {"en": "Q", "fr": "Q?"},
            "extensions": {"https://x.org/e": 1},
            "interactionType": "true-false",
            "correctResponsesPattern": ["true"],
            "type": "t:1",
        },
    }
    assert full_activity("https://x.org/q", {}) == {
        "objectType": "Activity",
        "id": "https://x.org/q",
    }
