"""Pseudonymisation and anonymisation of a validated xAPI statement document.

- Keyed pseudonymisation (the default): every Agent or identified Group becomes an account on
  ``PSEUDONYM_HOME_PAGE`` named by the HMAC-SHA256, under the tenant's secret, of its
  Inverse Functional Identifier. The same learner gets the same pseudonym in every request and
  on the stream, and nobody without the secret can link a pseudonym back. ``mbox`` is hashed as
  its ``mbox_sha1sum`` (xAPI 2.4.2.3), so that both spellings of one address agree.
- Anonymisation: every Agent becomes an account on ``ANONYMOUS_HOME_PAGE`` with a random UUID as
  name, one per learner per statement. The statement stays valid xAPI (an Agent needs exactly one
  IFI), yet no two statements can be linked, and nothing can be reversed.

Both remove the names of agents, extensions that carry IP addresses, geolocation or user agents,
and e-mail addresses, phone numbers, IP addresses and the agents' names inside free text: the
response, descriptions, and strings in extensions.
"""

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.process.conversion import Document
from learning_record.domain.process.free_text import name_forms, scrubbed
from learning_record.domain.xapi.agents import IFI_PROPERTIES
from learning_record.domain.xapi.common import IRI_PATTERN, join_path, path_segment

PSEUDONYM_HOME_PAGE = "urn:learningrecord:pseudonym"
ANONYMOUS_HOME_PAGE = "urn:learningrecord:anonymous"

# Extension IRIs whose last segment names one of these (lowercase, letters only) hold data that
# locate or fingerprint a person: "…/extensions/ip-address", "…/netc/extensions/user-agent".
_SENSITIVE_EXTENSIONS = frozenset(
    {
        "ip",
        "ipaddress",
        "useragent",
        "geolocation",
        "geojson",
        "geo",
        "location",
        "latitude",
        "longitude",
        "coordinates",
    }
)
_AGENT_POSITIONS = ("actor", "authority")
_CONTEXT_AGENTS = ("instructor", "team")


class PrivacyMode(StrEnum):
    PSEUDONYMISE = "pseudonymise"
    ANONYMISE = "anonymise"


@dataclass(frozen=True, slots=True)
class Privacy:
    """How to protect statements: the mode, the tenant's secret, the pseudonyms' home page."""

    mode: PrivacyMode
    secret: bytes
    home_page: str = PSEUDONYM_HOME_PAGE

    def __post_init__(self) -> None:
        # A short key makes the pseudonyms guessable by brute force over known e-mail addresses.
        if self.mode is PrivacyMode.PSEUDONYMISE and len(self.secret) < 16:
            raise ValueError("the tenant secret of keyed pseudonymisation is at least 16 bytes")
        if not re.fullmatch(IRI_PATTERN, self.home_page):
            raise ValueError("the pseudonyms' home page must be an IRI (xAPI 2.4.2.4)")


@dataclass(slots=True)
class _Pass:
    """The state of protecting one statement: who was renamed, which paths were touched."""

    privacy: Privacy
    touched: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    anonymous: dict[str, str] = field(default_factory=dict)


def protect(statement: Document, privacy: Privacy) -> list[str]:
    """Protect ``statement`` in place; return the JSON paths it touched, in document order."""
    state = _Pass(privacy)
    _protect_agents(statement, "", state)
    forms = sorted(
        {form for name in state.names for form in name_forms(name)}, key=len, reverse=True
    )
    _protect_text(statement, (), forms, state)
    for name in ("result", "context"):
        if statement.get(name) == {}:
            del statement[name]  # it held only what was removed
    return state.touched


# --- Agents -------------------------------------------------------------------------------------


def _protect_agents(statement: Document, path: str, state: _Pass) -> None:
    for name in _AGENT_POSITIONS:
        if name in statement:
            statement[name] = _agent(statement[name], join_path(path, name), state)
    target = statement["object"]
    kind = target.get("objectType")
    if kind in ("Agent", "Group"):
        statement["object"] = _agent(target, join_path(path, "object"), state)
    elif kind == "SubStatement":
        _protect_agents(target, join_path(path, "object"), state)
    context = statement.get("context", {})
    for name in _CONTEXT_AGENTS:
        if name in context:
            context[name] = _agent(context[name], join_path(path, f"context.{name}"), state)


def _agent(agent: Document, path: str, state: _Pass) -> Document:
    if isinstance(agent.get("name"), str):
        state.names.add(agent["name"])
    protected: Document = {k: v for k, v in agent.items() if k == "objectType"}
    if any(name in agent for name in IFI_PROPERTIES):
        protected["account"] = _account(agent, state)
    if "member" in agent:
        protected["member"] = [
            _agent(member, f"{path}.member[{index}]", state)
            for index, member in enumerate(agent["member"])
        ]
    if protected != agent:
        state.touched.append(path)
    return protected


def _account(agent: Document, state: _Pass) -> dict[str, str]:
    privacy = state.privacy
    account = agent.get("account") or {}
    if privacy.mode is PrivacyMode.ANONYMISE:
        key = ifi_of_raw(agent)
        name = state.anonymous.setdefault(key, str(uuid.uuid4()))
        return {"homePage": ANONYMOUS_HOME_PAGE, "name": name}
    if account.get("homePage") == privacy.home_page:
        # Already a pseudonym: protecting twice gives the same statement.
        return dict(account)
    digest = hmac.new(privacy.secret, _canonical_ifi(agent).encode(), hashlib.sha256)
    return {"homePage": privacy.home_page, "name": digest.hexdigest()}


def _canonical_ifi(agent: Document) -> str:
    if "mbox" in agent:
        return f"mbox_sha1sum:{hashlib.sha1(agent['mbox'].encode()).hexdigest()}"
    return ifi_of_raw(agent)


# --- Extensions and free text -------------------------------------------------------------------


# Paths are kept as tuples of keys and indexes, and spelled out only for what is touched: most
# of a statement is walked and left alone.
Parts = tuple[str | int, ...]


def _protect_text(value: Any, path: Parts, names: list[str], state: _Pass) -> None:
    """Walk the statement; scrub the free-text positions and every extensions object."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            _protect_text(item, (*path, index), names, state)
        return
    if not isinstance(value, dict):
        return
    for key, item in list(value.items()):
        where = (*path, key)
        if key == "extensions" and isinstance(item, dict):
            kept = _extension_value(item, where, names, state)
            if kept or not item:
                value[key] = kept
            else:
                del value[key]  # every extension was removed: an empty object says nothing
        elif key == "response" and isinstance(item, str):
            value[key] = _text(item, where, names, state)
        elif key == "description" and isinstance(item, dict):
            value[key] = {
                tag: _text(text, (*where, tag), names, state) for tag, text in item.items()
            }
        elif isinstance(item, dict | list):
            _protect_text(item, where, names, state)


def _extension_value(value: Any, path: Parts, names: list[str], state: _Pass) -> Any:
    """Any value inside extensions: strings scrubbed, sensitive keys dropped, at any depth."""
    if isinstance(value, str):
        return _text(value, path, names, state)
    if isinstance(value, list):
        return [
            _extension_value(item, (*path, index), names, state) for index, item in enumerate(value)
        ]
    if not isinstance(value, dict):
        return value
    kept = {}
    for key, item in value.items():
        if _is_sensitive(key):
            state.touched.append(_spelled((*path, key)))
        else:
            kept[key] = _extension_value(item, (*path, key), names, state)
    return kept


def _spelled(parts: Parts) -> str:
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else join_path(path, path_segment(part))
    return path


@lru_cache(maxsize=4096)  # producers use a handful of extension IRIs, again and again
def _is_sensitive(key: str) -> bool:
    last = re.split(r"[/#:]", key.rstrip("/"))[-1]
    return re.sub(r"[^a-z]", "", last.lower()) in _SENSITIVE_EXTENSIONS


def _text(text: str, path: Parts, names: list[str], state: _Pass) -> str:
    cleaned = scrubbed(text, names)
    if cleaned != text:
        state.touched.append(_spelled(path))
    return cleaned
