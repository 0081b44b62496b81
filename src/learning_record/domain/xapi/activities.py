"""Activities and their definitions, interaction activities included (xAPI 2.4.4.1)."""

from typing import Literal

from pydantic import Field, model_validator

from learning_record.domain.xapi.common import (
    IRI,
    IRL,
    Extensions,
    LanguageMap,
    NonEmptyStr,
    Omittable,
    XapiModel,
    rule_error,
)

InteractionType = Literal[
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
]

# 2.4.4.1.s15, "supported interaction component list(s)" for each interactionType;
# the types not listed here support none.
COMPONENT_LISTS: dict[str, tuple[str, ...]] = {
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
}
_ALL_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


class InteractionComponent(XapiModel):
    """One option of an interaction: a choice, a likert step, a source, a target or a step."""

    id: NonEmptyStr
    description: Omittable[LanguageMap] = None


class ActivityDefinition(XapiModel):
    """Metadata of an Activity; interaction properties only with an interactionType."""

    name: Omittable[LanguageMap] = None
    description: Omittable[LanguageMap] = None
    type: Omittable[IRI] = None
    more_info: Omittable[IRL] = Field(None, alias="moreInfo")
    interaction_type: Omittable[InteractionType] = Field(None, alias="interactionType")
    correct_responses_pattern: Omittable[list[str]] = Field(None, alias="correctResponsesPattern")
    choices: Omittable[list[InteractionComponent]] = None
    scale: Omittable[list[InteractionComponent]] = None
    source: Omittable[list[InteractionComponent]] = None
    target: Omittable[list[InteractionComponent]] = None
    steps: Omittable[list[InteractionComponent]] = None
    extensions: Omittable[Extensions] = None

    @model_validator(mode="after")
    def _interaction_properties_fit_the_type(self) -> "ActivityDefinition":
        given = [name for name in _ALL_COMPONENT_LISTS if getattr(self, name) is not None]
        if self.interaction_type is None:
            if self.correct_responses_pattern is not None:
                given.insert(0, "correctResponsesPattern")
            if given:
                raise rule_error(
                    f"is required when {', '.join(given)} is present "
                    "(interaction activities, 2.4.4.1.s13.b1)",
                    at="interactionType",
                )
            return self
        supported = COMPONENT_LISTS.get(self.interaction_type, ())
        for name in given:
            if name not in supported:
                raise rule_error(
                    f"is not supported for interactionType {self.interaction_type!r} "
                    f"(supported: {', '.join(supported) or 'no component list'}; 2.4.4.1.s15)",
                    at=name,
                )
            _check_distinct_ids(name, getattr(self, name))
        return self


def _check_distinct_ids(list_name: str, components: list[InteractionComponent]) -> None:
    # 2.4.4.1.s16.b1: within an array of interaction components, ids are distinct.
    seen: set[str] = set()
    for index, component in enumerate(components):
        if component.id in seen:
            raise rule_error(
                f"duplicate interaction component id {component.id!r}",
                at=f"{list_name}[{index}].id",
            )
        seen.add(component.id)


class Activity(XapiModel):
    """A thing that was experienced, identified by an IRI (2.4.4.1)."""

    object_type: Omittable[Literal["Activity"]] = Field(None, alias="objectType")
    id: IRI
    definition: Omittable[ActivityDefinition] = None
