"""Context: what else the statement relates to (xAPI 2.4.6)."""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from learning_record.domain.xapi.activities import Activity
from learning_record.domain.xapi.agents import Actor, Group
from learning_record.domain.xapi.common import UUID, Extensions, LanguageTag, Omittable, XapiModel


class StatementRef(XapiModel):
    """A pointer to another, existing statement by its id (2.4.4.3).

    Defined here rather than in ``statements`` because Context refers to it and ``statements``
    depends on this module; ``statements`` re-exports it.
    """

    object_type: Literal["StatementRef"] = Field(alias="objectType")
    id: UUID


def _as_list(value: Any) -> Any:
    # 2.4.6.2.s3: a single Activity is accepted for 0.95 compatibility, and 2.4.6.2.s4.b3
    # requires returning every value as an array.
    return [value] if isinstance(value, dict) else value


ContextActivityList = Annotated[list[Activity], BeforeValidator(_as_list)]


class ContextActivities(XapiModel):
    """Related activities by kind; each is stored, and returned, as a list (2.4.6.2)."""

    parent: Omittable[ContextActivityList] = None
    grouping: Omittable[ContextActivityList] = None
    category: Omittable[ContextActivityList] = None
    other: Omittable[ContextActivityList] = None


class Context(XapiModel):
    """Contextual information (2.4.6).

    "revision" and "platform" are only valid when the statement's object is an Activity; the
    statement checks that, since the context cannot see the object.
    """

    registration: Omittable[UUID] = None
    instructor: Omittable[Actor] = None
    team: Omittable[Group] = None
    context_activities: Omittable[ContextActivities] = Field(None, alias="contextActivities")
    revision: Omittable[str] = None
    platform: Omittable[str] = None
    language: Omittable[LanguageTag] = None
    statement: Omittable[StatementRef] = None
    extensions: Omittable[Extensions] = None
