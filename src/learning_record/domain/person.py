"""The Person object of the Agents resource (xAPI Communication 2.4): every identifier and name
the LRS has seen for an Agent. Pure: no I/O.

This LRS never learns that two identifiers are one person (no directory service), so a Person
carries the one IFI it was asked for, and every name that came with that IFI in the stored
statements, the request's own first (2.4.s3.b3: the requested Agent's information at least).
The statement view keeps the names of each IFI as statements are written (``names_seen``,
``store.known_objects``), so a Person is one read, whatever the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from learning_record.domain.documents import agent_of_json
from learning_record.domain.identity import ifi_of_raw
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


def names_seen(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(IFI, name) of every identified actor, or Group member, a statement names with a name:
    what it adds to the Persons (Actor, Object, Authority, Instructor, Team, in a SubStatement
    too), each pair once."""
    seen: list[tuple[str, str]] = []
    for actor in _actors_and_members(statement):
        name = actor.get("name")
        if name and _identified(actor) and (ifi_of_raw(actor), name) not in seen:
            seen.append((ifi_of_raw(actor), name))
    return seen


def person_of(agent: Agent, names: Iterable[str]) -> dict[str, Any]:
    """The Person object of ``agent`` (2.4.s5), with the names seen with its IFI."""
    everyone = [agent.name] if agent.name else []
    everyone += [name for name in names if name != agent.name]
    identifier = agent.model_dump(mode="json", by_alias=True, exclude_none=True)
    person: dict[str, Any] = {"objectType": "Person"}
    if everyone:
        person["name"] = everyone
    for name in IFI_PROPERTIES:
        if name in identifier:
            person[name] = [identifier[name]]
    return person


def _actors_and_members(statement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for actor in related_actors(statement):
        yield actor
        yield from actor.get("member", ())


def _identified(actor: Mapping[str, Any]) -> bool:
    return any(name in actor for name in IFI_PROPERTIES)
