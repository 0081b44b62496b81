"""Statements and SubStatements (xAPI 2.4), and the functions that parse them.

``parse_statement`` and ``parse_statements`` are the only entry points for untrusted input: they
turn pydantic's errors into ``StatementInvalid`` carrying the JSON path of the first offence.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from learning_record.domain.errors import StatementInvalid
from learning_record.domain.xapi.activities import Activity
from learning_record.domain.xapi.agents import IFI_PROPERTIES, Actor, Agent, Group
from learning_record.domain.xapi.attachments import Attachment
from learning_record.domain.xapi.common import (
    FORMAT_DESCRIPTIONS,
    RULE_ERROR,
    UUID,
    Omittable,
    Timestamp,
    Version,
    XapiModel,
    join_path,
    path_segment,
    rule_error,
)
from learning_record.domain.xapi.context import Context, StatementRef
from learning_record.domain.xapi.nesting import MAX_NESTING, too_deep_at
from learning_record.domain.xapi.results import Result
from learning_record.domain.xapi.verbs import VOIDED, Verb

__all__ = [
    "Statement",
    "StatementRef",
    "SubStatement",
    "parse_statement",
    "parse_statements",
]


# --- The object of a statement (2.4.4) ---------------------------------------------------------

_TAG_BY_MODEL: dict[type[XapiModel], str] = {
    Activity: "Activity",
    Agent: "Agent",
    Group: "Group",
    StatementRef: "StatementRef",
}


def _object_tag(value: Any) -> str:
    """Which model validates a statement's object: its objectType, Activity when absent (2.4.4)."""
    if isinstance(value, dict):
        if "objectType" not in value:
            # An Agent without objectType is validated as one, so that the statement rules can
            # say that objectType is missing (2.4.4.2) rather than report a pile of Activity errors.
            looks_like_agent = "id" not in value and any(key in value for key in IFI_PROPERTIES)
            return "Agent" if looks_like_agent else "Activity"
        object_type = value["objectType"]
        # A non-string objectType is left to the Activity model, which names the property.
        return object_type if isinstance(object_type, str) else "Activity"
    return _TAG_BY_MODEL.get(type(value), "SubStatement" if isinstance(value, SubStatement) else "")


SubStatementObject = Annotated[
    Annotated[Activity, Tag("Activity")]
    | Annotated[Agent, Tag("Agent")]
    | Annotated[Group, Tag("Group")]
    | Annotated[StatementRef, Tag("StatementRef")],
    Discriminator(_object_tag),
]


def _check_statement_rules(statement: "Statement | SubStatement") -> None:
    """Rules that tie several properties of a statement (or SubStatement) together."""
    target = statement.object
    if statement.verb.id == VOIDED and not isinstance(target, StatementRef):
        raise rule_error(
            "must be 'StatementRef': a voiding statement's object is the statement it voids "
            "(2.3.2.s2.b1)",
            at="object.objectType",
        )
    if isinstance(target, Agent) and target.object_type is None:
        raise rule_error(
            "is required when the object is an Agent or a Group (2.4.4.2.s1.b1)",
            at="object.objectType",
        )
    context = statement.context
    if context is not None and not isinstance(target, Activity):
        for name in ("revision", "platform"):
            if getattr(context, name) is not None:
                raise rule_error(
                    "may only be used when the statement's object is an Activity (2.4.6.s4)",
                    at=f"context.{name}",
                )


_LRS_ONLY_PROPERTIES = ("id", "stored", "version", "authority")


class SubStatement(XapiModel):
    """A statement inside a statement, describing an event that did not happen as such (2.4.4.3).

    It is validated as a statement, without id, stored, version or authority, and its object
    cannot be another SubStatement.
    """

    object_type: Literal["SubStatement"] = Field(alias="objectType")
    actor: Actor
    verb: Verb
    object: SubStatementObject
    result: Omittable[Result] = None
    context: Omittable[Context] = None
    timestamp: Omittable[Timestamp] = None
    attachments: Omittable[list[Attachment]] = None

    @model_validator(mode="before")
    @classmethod
    def _has_no_lrs_properties(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in _LRS_ONLY_PROPERTIES:
                if name in data:
                    raise rule_error(
                        f"a SubStatement must not have {name!r} (2.4.4.3.s8.b3)", at=name
                    )
        return data

    @model_validator(mode="after")
    def _follows_statement_rules(self) -> "SubStatement":
        _check_statement_rules(self)
        return self


StatementObject = Annotated[
    Annotated[Activity, Tag("Activity")]
    | Annotated[Agent, Tag("Agent")]
    | Annotated[Group, Tag("Group")]
    | Annotated[StatementRef, Tag("StatementRef")]
    | Annotated[SubStatement, Tag("SubStatement")],
    Discriminator(_object_tag),
]


def _check_authority(authority: Agent | Group) -> Agent | Group:
    # 2.4.9.s3.b1: an Agent, or in 3-legged OAuth a Group of the application and the user.
    if isinstance(authority, Group) and (
        not authority.is_anonymous or len(authority.member or ()) != 2
    ):
        raise rule_error(
            "a Group authority must be an anonymous Group of exactly two Agents "
            "(3-legged OAuth, 2.4.9.s3.b1)",
            at="member",
        )
    return authority


Authority = Annotated[Actor, AfterValidator(_check_authority)]


class Statement(XapiModel):
    """An xAPI 1.0.3 statement (2.4), as received or as stored."""

    id: Omittable[UUID] = None
    actor: Actor
    verb: Verb
    object: StatementObject
    result: Omittable[Result] = None
    context: Omittable[Context] = None
    timestamp: Omittable[Timestamp] = None
    stored: Omittable[Timestamp] = None
    authority: Omittable[Authority] = None
    version: Omittable[Version] = None
    attachments: Omittable[list[Attachment]] = None

    @model_validator(mode="after")
    def _follows_statement_rules(self) -> "Statement":
        _check_statement_rules(self)
        return self

    @property
    def is_voiding(self) -> bool:
        return self.verb.id == VOIDED

    @property
    def voided_target(self) -> str | None:
        """The id of the statement this one voids, or None when it voids nothing."""
        if self.is_voiding and isinstance(self.object, StatementRef):
            return self.object.id
        return None

    @property
    def event_time(self) -> datetime:
        """When the experience happened: the timestamp, else the time the LRS stored it."""
        moment = self.timestamp or self.stored
        if moment is None:
            raise StatementInvalid("timestamp", "the statement has neither timestamp nor stored")
        return moment.as_datetime

    def to_document(self) -> dict[str, Any]:
        """The JSON-ready statement: spec names, only the properties that were set.

        Timestamps come back as the strings received, nulls inside extensions are kept, and
        contextActivities values are always lists (2.4.6.2.s4.b3).
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def with_lrs_fields(
        self,
        *,
        id: str | None,
        stored: str,
        authority: dict[str, Any] | Agent | Group | None,
    ) -> "Statement":
        """A copy with the properties the LRS assigns (2.3.1.b1).

        ``id`` is filled only when the statement has none (with a new UUID when ``id`` is None),
        ``stored`` is always overwritten (2.4.8.s3.b2), and ``authority`` is filled only when the
        statement has none. Raises ``StatementInvalid`` when a given value is malformed.
        """
        given: dict[str, Any] = {"stored": stored}
        if self.id is None:
            given["id"] = str(uuid.uuid4()) if id is None else id
        if self.authority is None and authority is not None:
            given["authority"] = authority
        try:
            assigned = _LrsFields.model_validate(given)
        except ValidationError as exc:
            raise _statement_invalid(exc) from exc
        return self.model_copy(update={name: getattr(assigned, name) for name in given})


class _LrsFields(XapiModel):
    """The properties an LRS assigns, validated by the same rules as a statement's own."""

    id: Omittable[UUID] = None
    stored: Timestamp
    authority: Omittable[Authority] = None


# --- Parsing -----------------------------------------------------------------------------------

_STATEMENT_LIST = TypeAdapter(list[Statement])


def parse_statement(raw: object) -> Statement:
    """Validate one decoded JSON statement; raise ``StatementInvalid`` naming the first offence."""
    _check_nesting(raw)
    try:
        return Statement.model_validate(raw)
    except ValidationError as exc:
        raise _statement_invalid(exc) from exc


def parse_statements(raw: object) -> list[Statement]:
    """Validate a statement object or a non-empty array of them (paths of items start "[i].")."""
    if not isinstance(raw, list):
        return [parse_statement(raw)]
    if not raw:
        raise StatementInvalid("", "must be a statement or a non-empty array of statements")
    _check_nesting(raw)
    try:
        return _STATEMENT_LIST.validate_python(raw)
    except ValidationError as exc:
        raise _statement_invalid(exc) from exc


def _check_nesting(raw: object) -> None:
    location = too_deep_at(raw)
    if location is not None:
        raise StatementInvalid(_json_path(location), f"nests deeper than {MAX_NESTING} levels")


# --- From pydantic errors to StatementInvalid --------------------------------------------------

# Positions holding a union dispatched on objectType: pydantic puts the chosen tag in the error
# location right after them, and the tag is not part of the JSON path.
_UNION_FIELDS = frozenset({"actor", "object", "instructor", "authority"})
_TAGS = frozenset({"Activity", "Agent", "Group", "StatementRef", "SubStatement"})

_EXPECTED_TYPES = {
    "string_type": "a string",
    "bool_type": "a boolean",
    "int_type": "an integer",
    "float_type": "a number",
    "number_type": "a number",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def _statement_invalid(exc: ValidationError) -> StatementInvalid:
    error = exc.errors(include_url=False)[0]
    loc = error["loc"]
    path = _json_path(loc)
    ctx = error.get("ctx", {})
    if error["type"] == RULE_ERROR and ctx.get("at"):
        path = join_path(path, ctx["at"])
    elif error["type"] == "union_tag_invalid":
        path = join_path(path, "objectType")
    reason = _reason(error)
    if loc and loc[-1] == "[key]":
        reason = f"key {reason}"
    return StatementInvalid(path, reason)


def _json_path(loc: tuple[str | int, ...]) -> str:
    path = ""
    previous: str | int | None = None
    for item in loc:
        if isinstance(item, int):
            path += f"[{item}]"
        elif not (item == "[key]" or (item in _TAGS and previous in _UNION_FIELDS)):
            path = join_path(path, path_segment(item))
        previous = item
    return path


def _reason(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    value = error["input"]
    if kind == RULE_ERROR:
        return str(ctx["reason"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a property xAPI 1.0.3 allows here (property names are case-sensitive)"
    if value is None:
        return "must not be null (null is only allowed inside extensions)"
    if kind == "string_pattern_mismatch":
        expected = FORMAT_DESCRIPTIONS.get(ctx["pattern"], f"a string matching {ctx['pattern']}")
        return f"must be {expected}; got {_shown(value)}"
    if kind == "literal_error":
        return f"must be {ctx['expected']} (case-sensitive); got {_shown(value)}"
    if kind == "union_tag_invalid":
        # Only a SubStatement's object position accepts Activity but not SubStatement.
        if ctx["tag"] == "SubStatement" and "'Activity'" in ctx["expected_tags"]:
            return "a SubStatement cannot contain another SubStatement (2.4.4.3.s8.b4)"
        return (
            f"{_shown(ctx['tag'])} is not allowed here; "
            f"expected {ctx['expected_tags']} (case-sensitive)"
        )
    if kind in _EXPECTED_TYPES:
        return f"must be {_EXPECTED_TYPES[kind]}, not {_json_type(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    return error["msg"].replace("Input should be", "must be")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
