"""What the statement store needs to know about a statement, computed from its document.

- ``content_digest``: the identity of a statement's content, to tell "the same statement sent
  again" (nothing changes) from "another statement under a used id" (409, xAPI 2.1.1.s2.b3).
- ``index_terms``: the query filters a statement matches (xAPI Communication 2.1.3), one term
  per filter value, so that a query looks up an index instead of reading statements.
- ``check_batch``: the rules a batch breaks on its own, before anything is stored.

Pure functions over already validated documents (``Statement.to_document()``): no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.errors import DomainError, StatementInvalid
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.xapi.agents import IFI_PROPERTIES
from learning_record.domain.xapi.verbs import VOIDED

# Authorities the LRS itself assigns (API keys, direct Kafka producers): not part of the content.
LRS_AUTHORITY_HOMEPAGE_PREFIX = "urn:learningrecord:"
# The version an LRS may fill in when a statement has none (xAPI Data 2.4.10).
DEFAULT_VERSION = "1.0.0"


class StatementConflict(DomainError):
    """Another statement is already stored (or being stored) under this id (409)."""

    def __init__(self, statement_id: str) -> None:
        self.statement_id = statement_id
        super().__init__(f"statement {statement_id} already exists with different content")


class VoidingVoidingStatement(StatementInvalid):
    """A statement voids a statement that itself voids another (xAPI Data 2.3.2.s1)."""


# --- Content ----------------------------------------------------------------------------------


def content_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of the statement as its sender made it: sorted-keys JSON, without ``stored``,
    without an authority, version or timestamp (``stored`` itself) the LRS filled in. The id
    is part of it."""
    content = {name: value for name, value in document.items() if name != "stored"}
    if "stored" in document and content.get("timestamp") == document["stored"]:
        del content["timestamp"]
    if _is_lrs_authority(content.get("authority")):
        del content["authority"]
    if content.get("version") == DEFAULT_VERSION:
        del content["version"]
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _is_lrs_authority(authority: Any) -> bool:
    if not isinstance(authority, dict):
        return False
    home_page = authority.get("account", {}).get("homePage", "")
    return isinstance(home_page, str) and home_page.startswith(LRS_AUTHORITY_HOMEPAGE_PREFIX)


def voided_target(document: Mapping[str, Any]) -> str | None:
    """The id of the statement this document voids, or None (xAPI Data 2.3.2)."""
    target = document["object"]
    if document["verb"]["id"] == VOIDED and target.get("objectType") == "StatementRef":
        return str(target["id"])
    return None


def referred_statement(document: Mapping[str, Any]) -> str | None:
    """The id the statement's StatementRef object points to, or None (xAPI Data 2.4.4.3)."""
    target = document["object"]
    return str(target["id"]) if target.get("objectType") == "StatementRef" else None


# --- Batches ----------------------------------------------------------------------------------


def check_batch(documents: Sequence[Mapping[str, Any]]) -> None:
    """Refuse a batch repeating an id (2.1.2.s2.b6) or voiding a voiding statement it carries."""
    position: dict[str, int] = {}
    for index, document in enumerate(documents):
        statement_id = str(document["id"])
        if statement_id in position:
            raise StatementInvalid(
                f"[{index}].id",
                f"repeats the id of statement [{position[statement_id]}]; "
                "ids in a batch must be distinct (2.1.2.s2.b6)",
            )
        position[statement_id] = index
    for index, document in enumerate(documents):
        target = voided_target(document)
        if target in position and voided_target(documents[position[target]]) is not None:
            raise VoidingVoidingStatement(
                f"[{index}].object.id",
                "voids a voiding statement, which cannot be voided (xAPI Data 2.3.2.s1)",
            )


# --- Index terms ------------------------------------------------------------------------------

AGENT = "agent"
RELATED_AGENT = "related-agent"
VERB = "verb"
ACTIVITY = "activity"
RELATED_ACTIVITY = "related-activity"
REGISTRATION = "registration"


def term(kind: str, value: str) -> str:
    """An index term: the filter kind and the value it matches, e.g. ``verb:http://…``."""
    return f"{kind}:{value}"


def agent_term(kind: str, ifi: str, learner_id: Pseudonymise) -> str:
    """The term of an agent filter (``AGENT`` or ``RELATED_AGENT``): by the agent's keyed
    pseudonym, so that the view's index names hold no IFI a guess could be tested against."""
    return term(kind, learner_id(ifi))


@dataclass(frozen=True, slots=True)
class AgentFilter:
    """A query's agent filter, by IFI until keyed with the tenant's pseudonymiser."""

    kind: str  # AGENT or RELATED_AGENT
    ifi: str

    def term(self, learner_id: Pseudonymise) -> str:
        return agent_term(self.kind, self.ifi, learner_id)


def index_terms(document: Mapping[str, Any], learner_id: Pseudonymise) -> list[str]:
    """Every filter term the statement matches, sorted, without duplicates (2.1.3.s1 table).
    Agents are named by their pseudonym (``learner_id``, the tenant's pseudonymiser), never by
    their IFI: see ``agent_term``."""
    terms = {term(VERB, document["verb"]["id"])}
    target = document["object"]
    context = document.get("context", {})
    actors = [document["actor"], target] if _is_actor(target) else [document["actor"]]
    for ifi in _ifis(*actors):
        terms.add(agent_term(AGENT, ifi, learner_id))
    for ifi in _ifis(*related_actors(document)):
        terms.add(agent_term(RELATED_AGENT, ifi, learner_id))
    if _is_activity(target):
        terms.add(term(ACTIVITY, target["id"]))
    for activity_id in _related_activity_ids(document):
        terms.add(term(RELATED_ACTIVITY, activity_id))
    if "registration" in context:
        terms.add(term(REGISTRATION, context["registration"]))
    return sorted(terms)


def _is_activity(target: Mapping[str, Any]) -> bool:
    return bool(target.get("objectType", "Activity") == "Activity")


def _is_actor(target: Mapping[str, Any]) -> bool:
    return target.get("objectType") in ("Agent", "Group")


def _ifis(*actors: Mapping[str, Any]) -> Iterator[str]:
    """IFIs of Agents and identified Groups, and of Group members: a Group matches the agent
    filter through its members too (2.1.3.s1, "agent")."""
    for actor in actors:
        if any(name in actor for name in IFI_PROPERTIES):  # an anonymous Group has no IFI
            yield ifi_of_raw(actor)
        for member in actor.get("member", ()):
            yield ifi_of_raw(member)


def related_actors(statement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Actor, Object, Authority, Instructor, Team, and the same in a SubStatement."""
    yield statement["actor"]
    target = statement["object"]
    if _is_actor(target):
        yield target
    if "authority" in statement:
        yield statement["authority"]
    context = statement.get("context", {})
    for name in ("instructor", "team"):
        if name in context:
            yield context[name]
    if target.get("objectType") == "SubStatement":
        yield from related_actors(target)


def _related_activity_ids(statement: Mapping[str, Any]) -> Iterator[str]:
    for activity in related_activities(statement):
        yield activity["id"]


def related_activities(statement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Object, context activities, and the same in a SubStatement."""
    target = statement["object"]
    if _is_activity(target):
        yield target
    activities = statement.get("context", {}).get("contextActivities", {})
    for listed in activities.values():
        yield from listed
    if target.get("objectType") == "SubStatement":
        yield from related_activities(target)
