"""Wire models of what the API answers beyond the domain's own models (``Statement``): the error
shape, the statement result, /about, /health. Actions render through them, and the OpenAPI
document (``api.openapi``) is generated from them, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from learning_record.domain.xapi.agents import Account
from learning_record.domain.xapi.statements import Statement


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorDetail(_Wire):
    code: str = Field(description="Stable, machine-readable: not_found, rate_limited, …")
    message: str = Field(description="For people: what went wrong and what to do.")
    details: Any = Field(description="Structured context, or null.")


class ErrorBody(_Wire):
    """Every error the API answers, whatever its status."""

    error: ErrorDetail


class StatementResult(_Wire):
    """A page of a statement query (xAPI Data 2.5)."""

    statements: list[Statement]
    more: str = Field(
        description='The IRL of the next page, relative to the server; "" when none follows.'
    )


class About(_Wire):
    """xAPI Communication 2.8: the versions this LRS speaks."""

    version: list[str]


class Person(_Wire):
    """xAPI Communication 2.4.s5: what the LRS knows of an Agent, each property a list."""

    object_type: Literal["Person"] = Field(alias="objectType")
    name: list[str] | None = None
    mbox: list[str] | None = None
    mbox_sha1sum: list[str] | None = None
    openid: list[str] | None = None
    account: list[Account] | None = None


class Health(_Wire):
    status: str = Field(description='"ok" while the process is up.')


# --- Indicators (docs/indicators.md defines each one) -------------------------------------------


class LearnerIndicators(_Wire):
    statements: int
    active_days: int
    activities: int
    completed_activities: int
    time_spent_s: float
    success_count: int
    failure_count: int
    success_rate: float | None
    score_avg: float | None
    last_active: str | None
    verbs: dict[str, int]


class ActivityIndicators(_Wire):
    statements: int
    learners: int
    completed_learners: int
    completion_rate: float | None
    score_avg: float | None
    time_spent_s: float


class ProgressIndicators(_Wire):
    statements: int
    completed: bool
    progress: float | None
    best_score: float | None
    time_spent_s: float
    first_seen: str | None
    last_seen: str | None


class LearnerRef(_Wire):
    id: str
    agent: dict[str, Any] | None


class ActivityRef(_Wire):
    id: str


class IndicatorEnvelope(_Wire):
    window: str
    as_of: str
    window_start: str | None
    window_end: str | None
    consistent_through: str


class LearnerAnswer(IndicatorEnvelope):
    learner: LearnerRef
    indicators: LearnerIndicators


class ActivityAnswer(IndicatorEnvelope):
    activity: ActivityRef
    indicators: ActivityIndicators


class ProgressAnswer(IndicatorEnvelope):
    learner: LearnerRef
    activity: ActivityRef
    indicators: ProgressIndicators


class LearnerEntry(_Wire):
    learner: LearnerRef
    indicators: LearnerIndicators


class ActivityEntry(_Wire):
    activity: ActivityRef
    indicators: ActivityIndicators


class BatchAnswer(IndicatorEnvelope):
    learners: list[LearnerEntry]
    activities: list[ActivityEntry]


class ErasureAnswer(_Wire):
    """An erasure's state: never the learner's identifiers (docs/privacy.md)."""

    id: str
    state: Literal["pending", "done"]
    requested: str | None = Field(description="When it was asked (ISO 8601), once known.")
    finished: str | None = Field(description="When it was done (ISO 8601), null until then.")
