"""The Activity object of the Activities resource (xAPI Communication 2.5): the fullest
definition known, merged from the statements that carried one. Pure: no I/O.

Definitions are merged oldest first, so a later statement's word wins: ``name`` and
``description`` language by language, ``extensions`` key by key, ``type`` and ``moreInfo``
whole. The interaction (``interactionType``, ``correctResponsesPattern`` and the component
lists) is taken whole from the latest definition that has one, since its parts only make sense
together (Data 2.4.4.1.s15).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from learning_record.domain.statement_index import related_activities

_BY_KEY = ("name", "description", "extensions")
_INTERACTION = (
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
)


def full_activity(activity_id: str, statements: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The Activity ``activity_id`` with every definition the statements (oldest first) gave
    it; without any, the Activity with its id alone (2.5.s2.b1)."""
    definition: dict[str, Any] = {}
    for statement in statements:
        for seen in related_activities(statement):
            if seen["id"] == activity_id and "definition" in seen:
                definition = merged_definition(definition, seen["definition"])
    full: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        full["definition"] = definition
    return full


def merged_definition(known: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(known)
    if "interactionType" in later:
        for name in _INTERACTION:
            merged.pop(name, None)
    for name, value in later.items():
        if name in _BY_KEY:
            merged[name] = {**merged.get(name, {}), **value}
        else:
            merged[name] = value
    return merged
