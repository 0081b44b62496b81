"""Statements sealed for the log: every person in a statement readable only with their own data
key, so that erasing a learner is deleting their keys (crypto-shredding, docs/privacy.md).

A statement's *owner* is its actor: its IFI, or for an anonymous Group its first identified
member. The whole statement is sealed with the owner's key, except each Agent in it that is
another person (a group member, the instructor, a team member, an Agent object, a client's
authority, and the same inside a SubStatement): each of those is cut out, sealed with that
person's key, and leaves a hole ``{"lr-sealed-agent": <index>}``. Opening a statement without its
owner's key gives nothing; without a cut-out agent's key, that agent reads as ``PLACEHOLDER``.
Accounts of the LRS itself (the authorities it assigns) are not persons and stay in place.

``cut`` says whose keys a statement needs (the caller fetches or makes them), ``seal`` then
encrypts it (AES-256-GCM, a fresh nonce per part; bound as associated data: the tenant and the
key, and for a cut-out agent also its place and the owner's part, so that no part opens in
another statement or place), ``opened`` reverses it. Documents may be unvalidated (direct
producers' records are validated after they are opened): anything that is not where xAPI puts
an Agent stays in the owner's part.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from learning_record.domain.access import is_lrs_account
from learning_record.domain.data_keys import NONCE_BYTES, DataKey, KeyRef, Pseudonymise
from learning_record.domain.errors import DomainError, StatementInvalid, UnidentifiedActor
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.json_input import JsonRejected, loads_bounded

# Set on every record of the statements topic whose statements are sealed.
SEALED_HEADER = "lr-sealed"
HOLE = "lr-sealed-agent"
ERASED_HOME_PAGE = "urn:learningrecord:erased"
PLACEHOLDER: Mapping[str, Any] = {
    "objectType": "Agent",
    "account": {"homePage": ERASED_HOME_PAGE, "name": "erased"},
}


def placeholder() -> dict[str, Any]:
    """A fresh copy of ``PLACEHOLDER``, which callers may change."""
    return {"objectType": "Agent", "account": dict(PLACEHOLDER["account"])}


class SealedPart(BaseModel):
    """One part of a sealed statement: whose key sealed it, and the nonce and ciphertext."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    learner: str
    key: str
    sealed: str

    @property
    def ref(self) -> KeyRef:
        return KeyRef(self.learner, self.key)


class SealedStatement(BaseModel):
    """A statement as the log keeps it: the owner's part, and the agents cut out of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    body: SealedPart
    agents: list[SealedPart] = []

    def refs(self) -> set[KeyRef]:
        return {self.body.ref, *(agent.ref for agent in self.agents)}


_SEALED_RECORD: TypeAdapter[list[SealedStatement]] = TypeAdapter(list[SealedStatement])


@dataclass(slots=True)
class Cut:
    """A statement ready to seal: the owner's pseudonym, the document with holes, and the
    agents cut out, each with its pseudonym."""

    owner: str
    body: dict[str, Any]
    agents: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)

    def learners(self) -> set[str]:
        return {self.owner, *(pseudonym for pseudonym, _ in self.agents)}


def cut(statement: Mapping[str, Any], pseudonymise: Pseudonymise) -> Cut:
    """``statement`` with every other person cut out; ``StatementInvalid`` when its actor
    identifies nobody, as no key could then seal it."""
    owner_of_statement = owner_ifi(statement.get("actor"))
    if owner_of_statement is None:
        raise StatementInvalid("actor", "identifies nobody: an Agent or Group needs an IFI")
    owner = pseudonymise(owner_of_statement)
    agents: list[tuple[str, Mapping[str, Any]]] = []

    def cut_out(agent: Mapping[str, Any]) -> Any:
        if HOLE in agent:
            raise StatementInvalid("", f"{HOLE} is reserved: an Agent cannot have it")
        ifi = person_ifi(agent)
        if ifi is None:
            return agent
        pseudonym = pseudonymise(ifi)
        if pseudonym == owner:
            return agent
        agents.append((pseudonym, agent))
        # The objectType keeps the hole where an Agent object is told from an Activity.
        return {"objectType": "Agent", HOLE: len(agents) - 1}

    return Cut(owner, with_agents(statement, cut_out, top=True), agents)


def seal(tenant: str, statement: Cut, keys: Mapping[str, DataKey]) -> dict[str, Any]:
    """The sealed statement (JSON-ready), with the key of every learner ``statement`` names."""
    body = sealed_part(tenant, keys[statement.owner], orjson.dumps(statement.body), b"")
    return {
        "body": body,
        "agents": [
            sealed_part(tenant, keys[pseudonym], orjson.dumps(agent), _place(body["sealed"], index))
            for index, (pseudonym, agent) in enumerate(statement.agents)
        ],
    }


def parsed_record(value: bytes) -> list[SealedStatement]:
    """The sealed statements of a record's value; ``StatementInvalid`` for any other shape."""
    try:
        return _SEALED_RECORD.validate_json(value)
    except ValidationError as error:
        raise StatementInvalid("", f"not a sealed record: {error.errors()[0]['msg']}") from None


def opened(
    tenant: str, statement: SealedStatement, keys: Mapping[KeyRef, DataKey]
) -> dict[str, Any] | None:
    """The statement document, or None when its owner's keys are gone (erased). An agent whose
    key is gone reads as ``PLACEHOLDER``. ``StatementInvalid`` when a part does not open with
    its key (altered, or sealed for another tenant)."""
    owner_key = keys.get(statement.body.ref)
    if owner_key is None:
        return None
    try:
        document = loads_bounded(opened_part(tenant, owner_key, statement.body, b""))
    except JsonRejected as error:
        raise StatementInvalid("", f"a sealed statement holds {error}") from None
    if not isinstance(document, dict):
        raise StatementInvalid("", "a sealed statement holds a statement object")

    def fill(agent: Mapping[str, Any]) -> Any:
        if HOLE not in agent:
            return agent
        index = agent[HOLE]
        if type(index) is not int or not 0 <= index < len(statement.agents):
            raise StatementInvalid("", f"a sealed statement has no agent {index!r}")
        part = statement.agents[index]
        key = keys.get(part.ref)
        if key is None:
            return placeholder()
        return orjson.loads(opened_part(tenant, key, part, _place(statement.body.sealed, index)))

    return with_agents(document, fill, top=True)


def sealed_part(tenant: str, key: DataKey, clear: bytes, place: bytes) -> dict[str, str]:
    """``clear`` sealed with ``key`` for ``tenant`` and ``place`` (any bytes saying where it
    belongs: it opens only there), as a ``SealedPart``'s fields."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.secret).encrypt(nonce, clear, _bound_to(tenant, key.ref, place))
    return {
        "learner": key.ref.pseudonym,
        "key": key.ref.key_id,
        "sealed": base64.b64encode(nonce + sealed).decode(),
    }


def opened_part(tenant: str, key: DataKey, part: SealedPart, place: bytes) -> bytes:
    """What ``sealed_part`` sealed; ``StatementInvalid`` when it does not open there."""
    try:
        raw = base64.b64decode(part.sealed, validate=True)
        return AESGCM(key.secret).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(tenant, key.ref, place)
        )
    except (InvalidTag, ValueError):
        raise StatementInvalid("", "a sealed statement does not open with its key") from None


def _bound_to(tenant: str, ref: KeyRef, place: bytes) -> bytes:
    """Associated data: a part opens only for the tenant, key and place it was sealed for."""
    return f"{tenant}|{ref.pseudonym}|{ref.key_id}|".encode() + place


def _place(body: str, index: int) -> bytes:
    """Where a cut-out agent belongs: its index in the statement whose owner's part (its
    nonce is unique) is ``body``."""
    return f"{body[:16]}|{index}".encode()


# --- Where xAPI puts Agents (Data 2.4.2, 2.4.4.2, 2.4.6, 2.4.9) ---------------------------------

Visit = Callable[[Mapping[str, Any]], Any]
_AGENT_OBJECTS = ("Agent", "Group")


def with_agents(statement: Mapping[str, Any], visit: Visit, *, top: bool = True) -> dict[str, Any]:
    """A copy of ``statement`` with ``visit`` applied to each Agent of it (the actor Agent
    included, each member of a Group in its place); untouched parts are shared, not copied."""
    result = dict(statement)
    for name in ("actor", "authority") if top else ("actor",):
        if name in result:
            result[name] = _with_actor(result[name], visit)
    target = result.get("object")
    if isinstance(target, dict):
        kind = target.get("objectType")
        if kind in _AGENT_OBJECTS:
            result["object"] = _with_actor(target, visit)
        elif kind == "SubStatement":
            result["object"] = with_agents(target, visit, top=False)
    context = result.get("context")
    if isinstance(context, dict) and ("instructor" in context or "team" in context):
        context = dict(context)
        for name in ("instructor", "team"):
            if name in context:
                context[name] = _with_actor(context[name], visit)
        result["context"] = context
    return result


def _with_actor(actor: Any, visit: Visit) -> Any:
    if not isinstance(actor, dict):
        return actor
    if actor.get("objectType") != "Group":
        return visit(actor)
    members = actor.get("member")
    if not isinstance(members, list):
        return actor
    group = dict(actor)
    group["member"] = [visit(member) if isinstance(member, dict) else member for member in members]
    return group


def person_ifi(agent: Mapping[str, Any]) -> str | None:
    """The IFI of an Agent that is a person: not one of the LRS's own accounts."""
    account = agent.get("account")
    home_page = account.get("homePage") if isinstance(account, dict) else None
    if isinstance(home_page, str) and is_lrs_account(home_page):
        return None
    return _ifi_or_none(agent)


def owner_ifi(actor: Any) -> str | None:
    """The IFI whose key seals a statement of ``actor``: its own, or an anonymous Group's
    first identified member's; None when it identifies nobody."""
    if not isinstance(actor, dict):
        return None
    ifi = _ifi_or_none(actor)
    if ifi is not None or actor.get("objectType") != "Group":
        return ifi
    members = actor.get("member")
    for member in members if isinstance(members, list) else ():
        if isinstance(member, dict) and (ifi := _ifi_or_none(member)) is not None:
            return ifi
    return None


def _ifi_or_none(agent: Mapping[str, Any]) -> str | None:
    """``ifi_of_raw`` for a document that may not be valid yet: None when it has no IFI."""
    try:
        return ifi_of_raw(agent)
    except (UnidentifiedActor, DomainError, KeyError, TypeError, AttributeError):
        return None
