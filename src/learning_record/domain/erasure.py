"""Forgetting a learner (GDPR Art. 17; docs/privacy.md): what an erasure is, as a record of the
erasures topic, and what it does to one statement.

An erasure names its learner only by pseudonym and by their IFI sealed with their own data key,
which the erasure deletes last: once done, its record holds nothing readable about them. The
topic is the audit trail: a ``requested`` record (who asked, when), then a ``done`` one.

For a statement, the learner is its *owner* when their key seals it (``sealing.owner_ifi``):
such statements are forgotten; in any other statement, each Agent that identifies them becomes
``sealing.PLACEHOLDER``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from learning_record.domain.identity import ifi_of_json
from learning_record.domain.indicators.state import Origin
from learning_record.domain.sealing import (
    SealedPart,
    owner_ifi,
    person_ifi,
    placeholder,
    with_agents,
)

# Where an erasure's sealed IFI belongs (``sealing.sealed_part``'s place).
SEALED_IFI_PLACE = b"erasure"

State = Literal["pending", "done"]


class ErasureRecord(BaseModel):
    """One record of the erasures topic, keyed by the erasure's id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["requested", "done"]
    id: str
    tenant: str
    at: str = Field(description="When it was requested, or done (ISO 8601, UTC).")
    requested_by: str | None = Field(
        default=None, description="The API key id, or `lr erase` and the operator's user name."
    )
    learner: str | None = Field(default=None, description="The learner's pseudonym.")
    agent: SealedPart | None = Field(
        default=None, description="The learner's IFI, sealed with their own data key."
    )
    statements: int | None = Field(default=None, description="Done: statements forgotten.")
    mentions: int | None = Field(
        default=None, description="Done: statements that kept a placeholder."
    )
    documents: int | None = Field(default=None, description="Done: documents deleted.")


def new_erasure_id() -> str:
    return str(uuid.uuid4())


# Retractions of an erasure have origins of their own, after every statements topic partition:
# an entity's marks keep each source partition apart (``indicators.state``).
ERASURE_SOURCE = 1 << 16


# Passes of one run over the view, at most: a statement that changed between its reading and
# its purge (a statement pointing to it passed it terms), or that retention purged meanwhile, is
# read again by the next pass.
PASSES = 5


def retraction_origin(partition: int, offset: int, run: int, pass_: int, sequence: int) -> Origin:
    """The origin of the retraction of the statement with view ``sequence`` (below 2**32), by
    the erasure at ``offset`` (below 2**19) of its topic's ``partition``, in its ``run`` (0:
    before its keys are deleted, 1: after) and the run's pass (below ``PASSES``). Retractions go
    out in this order, a pass's sequences ascending, the passes and the runs one after the
    other, so that each source partition's operations reach a value in origin order: one that a
    later pass finds (retention purged it meanwhile) is not taken for a redelivery."""
    return ERASURE_SOURCE + partition, (((((offset << 1) | run) << 3) | pass_) << 32) | sequence


def owned_by(document: Mapping[str, Any], ifi: str) -> bool:
    """Whether the learner's key seals ``document``: it is theirs, and is forgotten."""
    return owner_ifi(document.get("actor")) == ifi


def names_learner(document: Mapping[str, Any], ifi: str) -> bool:
    """Whether ``document`` is the learner's, or has them anywhere an Agent goes."""
    return owned_by(document, ifi) or without_learner(document, ifi) != document


def without_learner(document: Mapping[str, Any], ifi: str) -> dict[str, Any]:
    """``document`` with every Agent identifying the learner replaced by the placeholder."""

    def replace(agent: Mapping[str, Any]) -> Any:
        return placeholder() if person_ifi(agent) == ifi else agent

    return with_agents(document, replace)


_AGENT_WIRE = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string", "description": "an xAPI Agent or identified Group as JSON"},
            {"type": "object", "description": "an xAPI Agent or identified Group (JSON body)"},
        ]
    }
)


class ErasureQuery(BaseModel):
    """Which learner to forget: ``agent``, read as their IFI (never kept in clear)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ifi: Annotated[str, BeforeValidator(ifi_of_json), _AGENT_WIRE] = Field(alias="agent")
