"""The three shapes GET /statements returns a statement in (xAPI Communication 2.1.3, "format").

- ``exact``: as stored.
- ``ids``: Agents, Groups, Activities and Verbs cut down to what identifies them.
- ``canonical``: every language map reduced to the one language the reader prefers, chosen per
  map from the Accept-Language header (2.1.3.s4). This LRS keeps no separate canonical
  definitions, so the definitions are the statement's own.

Pure functions over stored documents: they return new documents and never change their input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from learning_record.domain.xapi.agents import IFI_PROPERTIES

Document = dict[str, Any]

_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def formatted(document: Mapping[str, Any], shape: str, accept_language: str | None) -> Document:
    """``document`` in the shape ``ids``, ``exact`` or ``canonical``."""
    if shape == "ids":
        return _statement_ids(document)
    if shape == "canonical":
        return _statement_canonical(document, preferred_languages(accept_language))
    return dict(document)


# --- ids --------------------------------------------------------------------------------------


def _statement_ids(statement: Mapping[str, Any]) -> Document:
    result = dict(statement)
    result["actor"] = _actor_ids(statement["actor"])
    result["verb"] = {"id": statement["verb"]["id"]}
    result["object"] = _object_ids(statement["object"])
    if "authority" in statement:
        result["authority"] = _actor_ids(statement["authority"])
    if "context" in statement:
        result["context"] = _context_ids(statement["context"])
    return result


def _actor_ids(actor: Mapping[str, Any]) -> Document:
    """The IFI, and objectType; an anonymous Group keeps its members, each by IFI (2.1.3.s1)."""
    result = {name: actor[name] for name in ("objectType", *IFI_PROPERTIES) if name in actor}
    if not any(name in actor for name in IFI_PROPERTIES) and "member" in actor:
        result["member"] = [_actor_ids(member) for member in actor["member"]]
    return result


def _activity_ids(activity: Mapping[str, Any]) -> Document:
    # The id alone identifies an Activity; objectType "Activity" is the default wherever an
    # Activity may appear, in a SubStatement too (2.1.3.s1, "format").
    return {"id": activity["id"]}


def _object_ids(target: Mapping[str, Any]) -> Document:
    kind = target.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _actor_ids(target)
    if kind == "SubStatement":
        return _statement_ids(target)
    if kind == "Activity":
        return _activity_ids(target)
    return dict(target)  # a StatementRef is already only an id


def _context_ids(context: Mapping[str, Any]) -> Document:
    result = dict(context)
    for name in ("instructor", "team"):
        if name in context:
            result[name] = _actor_ids(context[name])
    if "contextActivities" in context:
        result["contextActivities"] = {
            kind: [_activity_ids(activity) for activity in activities]
            for kind, activities in context["contextActivities"].items()
        }
    return result


# --- canonical --------------------------------------------------------------------------------


def _statement_canonical(statement: Mapping[str, Any], preferred: Sequence[str]) -> Document:
    result = dict(statement)
    verb = statement["verb"]
    if "display" in verb:
        result["verb"] = {**verb, "display": best_language(verb["display"], preferred)}
    target = statement["object"]
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        result["object"] = _activity_canonical(target, preferred)
    elif kind == "SubStatement":
        result["object"] = _statement_canonical(target, preferred)
    context = statement.get("context")
    if context is not None and "contextActivities" in context:
        result["context"] = {
            **context,
            "contextActivities": {
                kind: [_activity_canonical(activity, preferred) for activity in activities]
                for kind, activities in context["contextActivities"].items()
            },
        }
    if "attachments" in statement:
        result["attachments"] = [
            _with_reduced_maps(attachment, ("display", "description"), preferred)
            for attachment in statement["attachments"]
        ]
    return result


def _activity_canonical(activity: Mapping[str, Any], preferred: Sequence[str]) -> Document:
    definition = activity.get("definition")
    if definition is None:
        return dict(activity)
    reduced = _with_reduced_maps(definition, ("name", "description"), preferred)
    for name in _COMPONENT_LISTS:
        if name in definition:
            reduced[name] = [
                _with_reduced_maps(component, ("description",), preferred)
                for component in definition[name]
            ]
    return {**activity, "definition": reduced}


def _with_reduced_maps(
    holder: Mapping[str, Any], names: Sequence[str], preferred: Sequence[str]
) -> Document:
    result = dict(holder)
    for name in names:
        if name in holder:
            result[name] = best_language(holder[name], preferred)
    return result


# --- Accept-Language (RFC 2616 14.4, applied to each language map: 2.1.3.s4.b5) --------------

_RANGE = re.compile(r"^\s*([A-Za-z0-9*]+(?:-[A-Za-z0-9]+)*)\s*(?:;\s*q\s*=\s*([0-9.]+)\s*)?$")


def preferred_languages(accept_language: str | None) -> list[str]:
    """The language ranges of an Accept-Language header, most preferred first, q=0 left out."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        match = _RANGE.match(item)
        if match is None:
            continue
        try:
            quality = float(match[2]) if match[2] is not None else 1.0
        except ValueError:
            continue
        if quality > 0:
            ranked.append((-quality, position, match[1].lower()))
    return [language for _, _, language in sorted(ranked)]


def best_language(language_map: Mapping[str, str], preferred: Sequence[str]) -> dict[str, str]:
    """The one entry of ``language_map`` the reader prefers; the first entry when none matches.

    A range matches a tag equal to it or starting with it followed by "-" ("en" matches
    "en-US"), case-insensitively; "*" matches any tag.
    """
    if not language_map:
        return {}
    for wanted in preferred:
        for tag, text in language_map.items():
            lowered = tag.lower()
            if wanted in ("*", lowered) or lowered.startswith(f"{wanted}-"):
                return {tag: text}
    tag = next(iter(language_map))
    return {tag: language_map[tag]}
