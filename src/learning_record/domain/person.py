"""The Person object of the Agents resource (xAPI Communication 2.4): every identifier and name
the LRS has seen for an Agent. Pure: no I/O.

This LRS never learns that two identifiers are one person (no directory service), so a Person
carries the one IFI it was asked for, and every name that came with that IFI in the statements
read, the request's own first (2.4.s3.b3: the requested Agent's information at least).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from learning_record.domain.documents import agent_of_json
from learning_record.domain.identity import ifi_of, ifi_of_raw
from learning_record.domain.statement_index import related_actors
from learning_record.domain.statement_query import AGENT_JSON, QueryIri
from learning_record.domain.xapi.agents import IFI_PROPERTIES, Agent


class AgentsParameters(BaseModel):
    """GET /agents (2.4.s2)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=False)

    agent: Annotated[Agent, BeforeValidator(agent_of_json), AGENT_JSON] = Field(
        description="The Agent, as JSON (not a Group)."
    )


class ActivitiesParameters(BaseModel):
    """GET /activities (2.5.s1)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=False)

    activity_id: QueryIri = Field(alias="activityId")


def person_of(agent: Agent, statements: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The Person object of ``agent`` from the statements that name it (2.4.s5)."""
    ifi = ifi_of(agent)
    names = [agent.name] if agent.name else []
    for statement in statements:
        for actor in _actors_and_members(statement):
            name = actor.get("name")
            if name and name not in names and _identified(actor) and ifi_of_raw(actor) == ifi:
                names.append(name)
    identifier = agent.model_dump(mode="json", by_alias=True, exclude_none=True)
    person: dict[str, Any] = {"objectType": "Person"}
    if names:
        person["name"] = names
    for name in IFI_PROPERTIES:
        if name in identifier:
            person[name] = [identifier[name]]
    return person


def _actors_and_members(statement: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for actor in related_actors(statement):
        yield actor
        yield from actor.get("member", ())


def _identified(actor: Mapping[str, Any]) -> bool:
    return any(name in actor for name in IFI_PROPERTIES)
