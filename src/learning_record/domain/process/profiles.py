"""DASES xAPI profile templates: which one a statement follows, what it lacks, what it fixes.

The rules ship with the package (``rules/dases.json``), never fetched at run time. A template is
recognised by its verb and by the type of the object, or of a parent activity; when the object
has no type and only one template has the verb, that template is taken and supplies the type.
Templates are tried in file order, so the more specific come first (an answered question of an
assessment before any answered question).

A recognised statement is enriched with what its template fixes: the verb's display, the
object's activity type, and its profile's version as a category activity, as the xAPI Profiles
specification asks of statements that follow a profile.
Then each rule whose property is missing, or not one of the allowed values, is reported.
"""

import json
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from learning_record.domain.process.conversion import Document
from learning_record.domain.process.paths import Segment, parse_path, values_at

PROFILE_ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/profile"

_RULES = ConfigDict(extra="forbid", strict=True, frozen=True)


class Rule(BaseModel):
    model_config = _RULES

    path: str
    presence: Literal["included", "recommended"]
    any: tuple[JsonValue, ...] | None = None

    @property
    def segments(self) -> tuple[Segment, ...]:
        return parse_path(self.path)


class TemplateVerb(BaseModel):
    model_config = _RULES

    id: str
    display: dict[str, str]


class Template(BaseModel):
    model_config = _RULES

    name: str
    id: str | None = None
    verb: TemplateVerb
    object_type: str | None = None
    parent_type: str | None = None
    categories: tuple[str, ...] = ()
    rules: tuple[Rule, ...]


class Profile(BaseModel):
    model_config = _RULES

    name: str
    id: str
    version: str
    templates: tuple[Template, ...]


class ProfileRules(BaseModel):
    model_config = _RULES

    about: str
    profiles: tuple[Profile, ...] = Field(min_length=1)


class Recommendation(BaseModel):
    """A property the template asks for that the statement lacks, or holds a wrong value in."""

    model_config = _RULES

    rule: str
    path: str
    expected: str
    actual: JsonValue


class Match(BaseModel):
    """The template a statement follows, as "profile/template" (``lms/accessed-page``)."""

    model_config = _RULES

    profile: Profile
    template: Template

    @property
    def label(self) -> str:
        return f"{self.profile.name}/{self.template.name}"


@cache
def dases_rules() -> ProfileRules:
    """The rules shipped in the package, read once per process."""
    text = resources.files(__package__).joinpath("rules/dases.json").read_text("utf-8")
    return ProfileRules.model_validate_json(text)


def detect(statement: Document, rules: ProfileRules) -> Match | None:
    verb = statement["verb"]["id"]
    object_type = _object_type(statement)
    by_verb = [
        Match(profile=profile, template=template)
        for profile in rules.profiles
        for template in profile.templates
        if template.verb.id == verb
    ]
    for match in by_verb:
        template = match.template
        if template.parent_type is not None and template.parent_type in _parent_types(statement):
            return match
        if template.object_type is not None and template.object_type == object_type:
            return match
    untyped = [match for match in by_verb if match.template.parent_type is None]
    if object_type is None and _is_activity(statement) and len(untyped) == 1:
        return untyped[0]
    return None


def enrich(statement: Document, match: Match) -> list[str]:
    """Add what the template fixes, in place; return the paths added."""
    template = match.template
    added = []
    if "display" not in statement["verb"]:
        statement["verb"]["display"] = dict(template.verb.display)
        added.append("verb.display")
    if (
        template.object_type is not None
        and _is_activity(statement)
        and _object_type(statement) is None
    ):
        statement["object"].setdefault("definition", {})["type"] = template.object_type
        added.append("object.definition.type")
    context = statement.setdefault("context", {})
    categories = context.setdefault("contextActivities", {}).setdefault("category", [])
    present = {activity["id"] for activity in categories}
    for category in (match.profile.version, *template.categories):
        if category not in present:
            added.append(f"context.contextActivities.category[{len(categories)}]")
            categories.append(
                {
                    "objectType": "Activity",
                    "id": category,
                    "definition": {"type": PROFILE_ACTIVITY_TYPE},
                }
            )
    return added


def recommendations(statement: Document, match: Match) -> list[Recommendation]:
    found = []
    for rule in match.template.rules:
        values = values_at(statement, rule.segments)
        allowed = rule.any
        if values and (allowed is None or any(value in allowed for value in values)):
            continue
        found.append(
            Recommendation(
                rule=f"{match.label}: {rule.presence}",
                path=rule.path,
                expected="present" if allowed is None else f"one of {json.dumps(list(allowed))}",
                actual=(values[0] if len(values) == 1 else values) if values else None,
            )
        )
    return found


def _is_activity(statement: Document) -> bool:
    kind: object = statement["object"].get("objectType", "Activity")
    return kind == "Activity"


def _object_type(statement: Document) -> str | None:
    definition = statement["object"].get("definition") or {}
    kind = definition.get("type")
    return kind if isinstance(kind, str) else None


def _parent_types(statement: Document) -> set[str]:
    parents = values_at(
        statement, ("context", "contextActivities", "parent", "*", "definition", "type")
    )
    return {kind for kind in parents if isinstance(kind, str)}
