"""The Activity object of the Activities resource (xAPI Communication 2.5): the fullest
definition known, merged from the statements that carried one. Pure: no I/O.

A definition is split into parts (``definition_parts``) that merge one by one, so the statement
view keeps the merged definition as statements are written (``store.known_objects``):

- ``name`` and ``description`` language by language, ``extensions`` key by key, and
  ``moreInfo``: the newest statement's word wins, as small corrections such as a spelling fix
  may change the canonical definition (Data 2.4.4.1.s4.b4);
- ``type``, and the interaction (``interactionType``, ``correctResponsesPattern`` and the
  component lists, whole, since its parts only make sense together, 2.4.4.1.s15): the first
  statement's stays, as the LRS SHOULD NOT make significant changes such as changes to correct
  responses (2.4.4.1.s4.b5).

"Newest" and "first" are by the statement's stored time, then its id: an order each statement
carries, so the merge does not depend on the order statements are written in, and a redelivery
or a replay changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from learning_record.domain.statement_index import related_activities

_BY_KEY = ("name", "description", "extensions")
_FIRST_WINS = ("type",)
_INTERACTION = (
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
)
INTERACTION = "interaction"


@dataclass(frozen=True, slots=True)
class DefinitionPart:
    """One part of an Activity definition as a statement gives it: ``field`` is ``type``,
    ``moreInfo``, ``interaction``, or ``name:<language>``, ``description:<language>``,
    ``extensions:<key>``; ``value`` its JSON."""

    activity_id: str
    field: str
    value: bytes
    first_wins: bool


def definition_parts(statement: Mapping[str, Any]) -> list[DefinitionPart]:
    """The parts of every definition a statement carries (Object, context activities, in a
    SubStatement too), each (Activity, field) once: the first place in the statement wins."""
    parts: dict[tuple[str, str], DefinitionPart] = {}
    for activity in related_activities(statement):
        for part in _parts_of(activity["id"], activity.get("definition", {})):
            parts.setdefault((part.activity_id, part.field), part)
    return list(parts.values())


def _parts_of(activity_id: str, definition: Mapping[str, Any]) -> Iterator[DefinitionPart]:
    interaction = {name: definition[name] for name in _INTERACTION if name in definition}
    if interaction:
        yield DefinitionPart(activity_id, INTERACTION, orjson.dumps(interaction), True)
    for name, value in definition.items():
        if name in _BY_KEY:
            for key, keyed in value.items():
                yield DefinitionPart(activity_id, f"{name}:{key}", orjson.dumps(keyed), False)
        elif name not in _INTERACTION:
            yield DefinitionPart(activity_id, name, orjson.dumps(value), name in _FIRST_WINS)


def full_activity(activity_id: str, parts: Mapping[str, Any]) -> dict[str, Any]:
    """The Activity ``activity_id`` with its merged definition, from the parts the view holds
    (field: value); without any, the Activity with its id alone (2.5.s2.b1)."""
    definition: dict[str, Any] = {}
    for field, value in sorted(parts.items()):
        name, _, key = field.partition(":")
        if name == INTERACTION:
            definition.update(value)
        elif name in _BY_KEY:
            definition.setdefault(name, {})[key] = value
        else:
            definition[name] = value
    full: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        full["definition"] = definition
    return full
