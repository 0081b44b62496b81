"""Documents of the State, Activity Profile and Agent Profile resources (xAPI Communication 2.2
to 2.7), their parameters, their ETags and the concurrency rules (3.1). Pure: no I/O.

A document lives in a *context* (the resource, and the Activity, Agent and registration that
resource names) under an id (``stateId`` or ``profileId``). The parameter models turn a query
string into a ``DocumentRequest``; 400s name the parameter.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from learning_record.domain.errors import DomainError, first_validation_message
from learning_record.domain.identity import ifi_of
from learning_record.domain.json_input import JsonRejected, loads_bounded
from learning_record.domain.statement_query import (
    AGENT_JSON,
    QueryIri,
    QueryTimestampMs,
    QueryUuid,
)
from learning_record.domain.xapi.agents import Agent

JSON_MEDIA_TYPE = "application/json"


class DocumentKind(StrEnum):
    STATE = "state"
    ACTIVITY_PROFILE = "activity-profile"
    AGENT_PROFILE = "agent-profile"


class DocumentInvalid(DomainError):
    """A request the document resources refuse: a bad parameter, a merge of non-objects (400)."""


class PreconditionFailed(DomainError):
    """If-Match or If-None-Match does not hold for the document as stored (3.1.s4.b9: 412)."""


class DocumentConflict(DomainError):
    """A PUT or DELETE of an existing Profile document without If-Match or If-None-Match
    (3.1.s4.b13: 409; the message says what to do, 3.1.s4.b14)."""


class DocumentLimitReached(DomainError):
    """A new document in a context that already holds the most documents it may (409)."""


@dataclass(frozen=True, slots=True)
class DocumentContext:
    """Where documents live. ``registration`` scopes State documents only; a context without
    one lists and deletes the documents of every registration (as ADL's reference LRS does)."""

    kind: DocumentKind
    activity_id: str | None = None
    agent_ifi: str | None = None
    registration: str | None = None

    @property
    def digest(self) -> str:
        """Names the context in Redis keys: the registration is left out, so that one index
        holds the documents of every registration of an Activity and Agent."""
        parts = orjson.dumps([self.kind.value, self.activity_id, self.agent_ifi])
        return hashlib.sha256(parts).hexdigest()[:32]

    def slot(self, document_id: str) -> str:
        """The document's member in its context's index: ``<registration>|<id>`` (a UUID has
        no ``|``, so the first one splits them)."""
        return f"{self.registration or ''}|{document_id}"

    def holds(self, slot: str) -> bool:
        """Whether a slot of this context's index is in the context (its registration)."""
        return self.registration is None or slot.startswith(f"{self.registration}|")


def document_id_of(slot: str) -> str:
    return slot.split("|", 1)[1]


@dataclass(frozen=True, slots=True)
class DocumentAddress:
    context: DocumentContext
    document_id: str

    @property
    def slot(self) -> str:
        return self.context.slot(self.document_id)

    def record_key(self, tenant: str) -> bytes:
        """The key of the document's record on the documents topic: every identifying
        parameter, so compaction keeps the last change of each document."""
        context = self.context
        return orjson.dumps(
            [
                tenant,
                context.kind.value,
                context.activity_id,
                context.agent_ifi,
                context.registration,
                self.document_id,
            ]
        )

    @classmethod
    def from_record_key(cls, key: bytes) -> tuple[str, DocumentAddress]:
        """The tenant and address a record key names (``record_key``'s inverse)."""
        tenant, kind, activity_id, agent_ifi, registration, document_id = orjson.loads(key)
        context = DocumentContext(DocumentKind(kind), activity_id, agent_ifi, registration)
        return tenant, cls(context, document_id)


@dataclass(frozen=True, slots=True)
class Document:
    content_type: str
    content: bytes
    updated_ms: int

    @property
    def etag(self) -> str:
        return etag_of(self.content)

    @property
    def is_json(self) -> bool:
        return is_json_media_type(self.content_type)


def etag_of(content: bytes) -> str:
    """3.1.s4.b2: the lowercase hex SHA-1 of the content (quoted on the wire, 3.1.s4.b4)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def is_json_media_type(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


def merged(existing: Document, content_type: str, content: bytes) -> bytes:
    """2.2.s7: the top-level properties of the posted object set on the existing one; 400 when
    either is not application/json or not a JSON object (2.2.s8.b1)."""
    if not (existing.is_json and is_json_media_type(content_type)):
        raise DocumentInvalid(
            "POST merges JSON documents only: the posted and the stored document must both be "
            "application/json (2.2.s8.b1); PUT replaces a document of any type"
        )
    old, new = _json_object(existing.content, "stored"), _json_object(content, "posted")
    return orjson.dumps(old | new)


def _json_object(content: bytes, which: str) -> dict[str, Any]:
    try:
        value = loads_bounded(content)
    except JsonRejected as error:
        raise DocumentInvalid(f"the {which} document is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise DocumentInvalid(f"the {which} document is not a JSON object (2.2.s8.b1)")
    return value


# --- Concurrency (3.1) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preconditions:
    """If-Match and If-None-Match as RFC 7232 reads them: None when absent, ("*",) for any,
    else the quoted entity tags without their quotes (weak ones keep their ``W/``)."""

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None

    @classmethod
    def from_headers(cls, if_match: str | None, if_none_match: str | None) -> Preconditions:
        return cls(_entity_tags(if_match), _entity_tags(if_none_match))

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None

    def check(self, current_etag: str | None) -> None:
        """412 unless both hold for the document's current ETag (None: no document)."""
        if self.if_match is not None and not _matches(self.if_match, current_etag):
            raise PreconditionFailed(
                "If-Match does not match the document's current ETag: fetch it again (3.1)"
            )
        if self.if_none_match is not None and _matches(self.if_none_match, current_etag):
            raise PreconditionFailed(
                "If-None-Match matches the document as stored: it exists already (3.1)"
            )


def _entity_tags(header: str | None) -> tuple[str, ...] | None:
    if header is None:
        return None
    tags = tuple(tag.strip() for tag in header.split(",") if tag.strip())
    if tags == ("*",):
        return tags
    for tag in tags:
        opaque = tag.removeprefix("W/")
        if len(opaque) < 2 or opaque[0] != '"' or opaque[-1] != '"':
            raise DocumentInvalid(f"{tag!r} is not a quoted entity tag (RFC 7232)")
    return tuple(tag.strip('"') if not tag.startswith("W/") else tag for tag in tags)


def _matches(tags: tuple[str, ...], current_etag: str | None) -> bool:
    if current_etag is None:
        return False
    # Strong comparison: a weak tag never matches (RFC 7232 3.1); our ETags are strong.
    return tags == ("*",) or current_etag in tags


# --- Parameters ---------------------------------------------------------------------------------


def agent_of_json(value: Any) -> Agent:
    """The ``agent`` parameter of the document, Agents and Activities resources: an Agent as
    JSON, not a Group (2.6.s3 note); ``ValueError`` saying why otherwise."""
    try:
        return Agent.model_validate(orjson.loads(value) if isinstance(value, str) else value)
    except orjson.JSONDecodeError:
        raise ValueError("must be an Agent as JSON") from None
    except ValidationError as error:
        raise ValueError(f"is not a valid Agent: {first_validation_message(error)}") from None


def _agent_ifi(value: Any) -> Any:
    return ifi_of(agent_of_json(value))


AgentParameter = Annotated[str, BeforeValidator(_agent_ifi), AGENT_JSON]
DocumentId = Annotated[str, Field(min_length=1, max_length=1024)]


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=False)

    since: QueryTimestampMs | None = Field(
        None, description="Only the ids of documents changed after this time (exclusive)."
    )

    @abstractmethod
    def request(self) -> DocumentRequest:
        """The context, document id and since these parameters name."""


class StateParameters(_Parameters):
    """/activities/state (2.3)."""

    activity_id: QueryIri = Field(alias="activityId")
    agent: AgentParameter = Field(description="The Agent, as JSON.")
    registration: QueryUuid | None = None
    state_id: DocumentId | None = Field(None, alias="stateId")

    def request(self) -> DocumentRequest:
        registration = self.registration.lower() if self.registration else None
        context = DocumentContext(DocumentKind.STATE, self.activity_id, self.agent, registration)
        return DocumentRequest(context, self.state_id, self.since)


class ActivityProfileParameters(_Parameters):
    """/activities/profile (2.7)."""

    activity_id: QueryIri = Field(alias="activityId")
    profile_id: DocumentId | None = Field(None, alias="profileId")

    def request(self) -> DocumentRequest:
        context = DocumentContext(DocumentKind.ACTIVITY_PROFILE, activity_id=self.activity_id)
        return DocumentRequest(context, self.profile_id, self.since)


class AgentProfileParameters(_Parameters):
    """/agents/profile (2.6)."""

    agent: AgentParameter = Field(description="The Agent, as JSON.")
    profile_id: DocumentId | None = Field(None, alias="profileId")

    def request(self) -> DocumentRequest:
        context = DocumentContext(DocumentKind.AGENT_PROFILE, agent_ifi=self.agent)
        return DocumentRequest(context, self.profile_id, self.since)


@dataclass(frozen=True, slots=True)
class DocumentRequest:
    context: DocumentContext
    document_id: str | None
    since_ms: float | None

    def address(self, id_name: str) -> DocumentAddress:
        """The one document a PUT or POST names; 400 without its id or with ``since``."""
        if self.document_id is None:
            raise DocumentInvalid(f"{id_name} is required to store a document")
        if self.since_ms is not None:
            raise DocumentInvalid("since only lists ids: it cannot name a document")
        return DocumentAddress(self.context, self.document_id)


Parameters = TypeVar("Parameters", bound=BaseModel)


def parse_parameters(model: type[Parameters], params: Mapping[str, str]) -> Parameters:
    """``params`` as ``model``; ``DocumentInvalid`` (400) naming the parameter otherwise."""
    try:
        return model.model_validate(dict(params))
    except ValidationError as error:
        raise DocumentInvalid(first_validation_message(error)) from None


def parse_document_request(model: type[_Parameters], params: Mapping[str, str]) -> DocumentRequest:
    """The request ``params`` make for a resource; ``DocumentInvalid`` naming the parameter."""
    request = parse_parameters(model, params).request()
    if request.document_id is not None and request.since_ms is not None:
        raise DocumentInvalid("since lists ids: it cannot be combined with a document id")
    return request
