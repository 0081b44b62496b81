"""The parameters of the indicator endpoints, from a query string or a JSON body alike."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.identity import ifi_of_json, ifi_properties
from learning_record.domain.indicators import Window, parse_as_of, parse_window
from learning_record.domain.xapi.common import IRI_PATTERN
from learning_record.platform.clock import now_ms

MAX_ENTITIES = 1000
# Values (lifetime or buckets) one batch answer reads at most: 1,000 entities over 1h, 7d or all;
# 138 over 24h (1,440 minute buckets each), 277 over 30d (720 hours).
MAX_VALUES_READ = 200_000
LEARNER_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def _window(value: Any) -> Any:
    return parse_window(value) if isinstance(value, str) else value


# Reference times the windows can be computed for (and rendered back) without overflow.
_AS_OF_RANGE_MS = (0, 32_503_680_000_000)  # 1970-01-01 to 3000-01-01


def _as_of(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("as_of must be an ISO 8601 timestamp with a time zone")
    as_of_ms = parse_as_of(value)
    if not _AS_OF_RANGE_MS[0] <= as_of_ms < _AS_OF_RANGE_MS[1]:
        raise ValueError("as_of must be between 1970-01-01 and 3000-01-01")
    return as_of_ms


@dataclass(frozen=True, slots=True)
class AskedLearner:
    """A learner a query names: by learner id, or by agent (its IFI, and its identifying
    properties, which the answer shows)."""

    learner_id: str | None = None
    ifi: str | None = None
    agent: dict[str, Any] | None = None

    def keyed(self, learner_id: Pseudonymise) -> tuple[str, dict[str, Any] | None]:
        """(learner id, the agent's identifying properties or None when asked by id);
        ``learner_id``: the tenant's pseudonymiser, the learner id of an agent."""
        if self.learner_id is not None:
            return (self.learner_id, None)
        assert self.ifi is not None, "a learner is asked by learner id or by agent"
        return (learner_id(self.ifi), self.agent)


def _learner(value: Any) -> Any:
    """An agent (JSON text or object) or an opaque learner id."""
    if isinstance(value, str) and LEARNER_ID_PATTERN.match(value):
        return AskedLearner(learner_id=value)
    ifi = ifi_of_json(value)
    decoded = orjson.loads(value) if isinstance(value, str) else value
    return AskedLearner(ifi=ifi, agent=ifi_properties(decoded))


# What the parameters look like on the wire, for the OpenAPI document: an agent as JSON text (a
# query string) or as an object (a JSON body), or a learner id; a window name; a timestamp.
_LEARNER_WIRE = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string", "description": "an xAPI Agent as JSON, or a 32-hex learner id"},
            {"type": "object", "description": "an xAPI Agent (JSON body)"},
        ]
    }
)
_WINDOW_WIRE = WithJsonSchema({"type": "string", "enum": [w.value for w in Window]})
_AS_OF_WIRE = WithJsonSchema({"type": "string", "format": "date-time"})

Learner = Annotated[AskedLearner, BeforeValidator(_learner), _LEARNER_WIRE]
ActivityIri = Annotated[str, Field(pattern=IRI_PATTERN)]


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    window: Annotated[Window, BeforeValidator(_window), _WINDOW_WIRE] = Window.ALL
    as_of_ms: Annotated[int | None, BeforeValidator(_as_of), _AS_OF_WIRE] = Field(
        None, alias="as_of"
    )

    @property
    def reference_ms(self) -> int:
        return self.as_of_ms if self.as_of_ms is not None else now_ms()


class LearnerQuery(_Common):
    learner: Learner = Field(alias="agent")


class LearnerByIdQuery(_Common):
    """The learner is in the path: ``/learners/{learner_id}/indicators``."""


class ActivityQuery(_Common):
    activity_id: ActivityIri = Field(alias="activityId")


class ProgressQuery(_Common):
    learner: Learner = Field(alias="agent")
    activity_id: ActivityIri = Field(alias="activityId")


class BatchQuery(_Common):
    learners: list[Learner] = Field(default_factory=list)
    activities: list[ActivityIri] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        """Counted before any learner or activity is validated: a query over the bound costs
        its JSON decoding, not a thousand agents' validation."""
        if not isinstance(data, dict):
            return data  # not an object: the model's own validation says so
        lists = (data.get("learners"), data.get("activities"))
        asked = sum(len(entities) for entities in lists if isinstance(entities, list))
        if asked > MAX_ENTITIES:
            raise ValueError(f"asks for {asked} entities; one query answers {MAX_ENTITIES} at most")
        try:
            window = _window(data.get("window", Window.ALL))
        except ValueError:
            return data  # no such window: the field's validation says so
        if not isinstance(window, Window):
            return data
        most = most_entities(window)
        if asked > most:
            raise ValueError(
                f"asks for {asked} entities over {window.value}, whose answer reads "
                f"{buckets_per_entity(window)} buckets each: at most {most} entities per "
                "query for this window"
            )
        return data


def buckets_per_entity(window: Window) -> int:
    """The values one entity's answer reads: its buckets in the window, or its lifetime."""
    return 1 if window is Window.ALL else window.length_ms // window.granularity.ms


def most_entities(window: Window) -> int:
    """Entities one batch query may ask for over ``window``: the work of an answer is bounded
    by the values it reads (``MAX_VALUES_READ``), not only by the entities."""
    return min(MAX_ENTITIES, MAX_VALUES_READ // buckets_per_entity(window))


Q = TypeVar("Q", bound=_Common)  # any of the queries above
