"""Statement factories: valid xAPI documents, overriding only what a test is about.

Overrides are keyword arguments naming a property by its JSON path, with ``__`` between levels
and list indexes as numbers: ``make_statement(actor__mbox="mailto:x@example.com")`` or
``make_statement(context__contextActivities__parent__0__id="x")``; the index just past the end
of a list appends to it. ``REMOVE`` deletes the property. Keys that are not Python identifiers
(language tags, IRIs) are set through their parent: ``verb__display={"en-US": "completed"}``.
"""

import copy
from typing import Any, Final

REMOVE: Final = object()

STATEMENT_ID = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
OTHER_STATEMENT_ID = "e05aa883-acaf-40ad-bf54-02c8ce485fb0"
TIMESTAMP = "2021-11-29T23:09:00.867+00:00"
STORED = "2021-11-29T23:10:00.000Z"


def make_agent(**overrides: Any) -> dict[str, Any]:
    return _built(
        {"objectType": "Agent", "name": "Ada Lovelace", "mbox": "mailto:ada@example.com"},
        overrides,
    )


def make_group(**overrides: Any) -> dict[str, Any]:
    """An anonymous Group of two Agents (the shape of a 3-legged OAuth authority)."""
    return _built(
        {
            "objectType": "Group",
            "member": [
                make_agent(
                    name="Example App",
                    mbox=REMOVE,
                    account={"homePage": "http://example.com/xAPI/OAuth/Token", "name": "app"},
                ),
                make_agent(name="Bob", mbox="mailto:bob@example.com"),
            ],
        },
        overrides,
    )


def make_activity(**overrides: Any) -> dict[str, Any]:
    return _built(
        {
            "objectType": "Activity",
            "id": "http://example.com/activities/algebra-1",
            "definition": {
                "name": {"en-US": "Algebra 1"},
                "type": "http://adlnet.gov/expapi/activities/course",
            },
        },
        overrides,
    )


def make_interaction(interaction_type: str, **overrides: Any) -> dict[str, Any]:
    """An Activity whose definition is an interaction of the given type, without components."""
    return _built(
        make_activity(
            id="http://example.com/activities/question-1",
            definition={
                "description": {"en-US": "Which of these are prototypes?"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": interaction_type,
            },
        ),
        overrides,
    )


def make_components(*ids: str) -> list[dict[str, Any]]:
    return [{"id": id_, "description": {"en-US": id_.title()}} for id_ in ids]


def make_statement_ref(**overrides: Any) -> dict[str, Any]:
    return _built({"objectType": "StatementRef", "id": OTHER_STATEMENT_ID}, overrides)


def make_sub_statement(**overrides: Any) -> dict[str, Any]:
    return _built(
        {
            "objectType": "SubStatement",
            "actor": make_agent(),
            "verb": {"id": "http://example.com/visited", "display": {"en-US": "will visit"}},
            "object": make_activity(id="http://example.com/website"),
        },
        overrides,
    )


def make_attachment(**overrides: Any) -> dict[str, Any]:
    return _built(
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": 4235,
            "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
        },
        overrides,
    )


def make_statement(**overrides: Any) -> dict[str, Any]:
    """A valid statement: Ada completed the Algebra 1 course."""
    return _built(
        {
            "id": STATEMENT_ID,
            "actor": make_agent(),
            "verb": {
                "id": "http://adlnet.gov/expapi/verbs/completed",
                "display": {"en-US": "completed"},
            },
            "object": make_activity(),
            "timestamp": TIMESTAMP,
        },
        overrides,
    )


def _built(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(base)
    for path, value in overrides.items():
        _set(document, path.split("__"), value if value is REMOVE else copy.deepcopy(value))
    return document


def _set(document: Any, keys: list[str], value: Any) -> None:
    *parents, last = keys
    for key in parents:
        if isinstance(document, list):
            document = document[int(key)]
        else:
            document = document.setdefault(key, {})
    if isinstance(document, list):
        index = int(last)
        if value is REMOVE:
            del document[index]
        elif index == len(document):
            document.append(value)
        else:
            document[index] = value
    elif value is REMOVE:
        del document[last]
    else:
        document[last] = value
