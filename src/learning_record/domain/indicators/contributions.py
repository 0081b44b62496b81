"""What one statement contributes to the indicators, extracted once per statement.

``contribution_of`` runs on the hot path, once per statement, on a document that has already
been validated (``Statement.to_document()``): it reads the dict directly instead of building
models. Every later step (applying, retracting, reading) works on the ``Contribution`` alone, so
a retraction routed to another partition carries everything it needs (``to_record``).

Progress and scores are floats with ``-0.0`` folded into ``0.0``: JSON carries them exactly, and
the state keeps exact sums and bounded extremes of them. Durations are whole milliseconds, so
that sums are exact integers.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.errors import UnidentifiedActor
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.indicators.windows import epoch_ms
from learning_record.domain.xapi.common import duration_seconds
from learning_record.domain.xapi.verbs import COMPLETED, PASSED, VOIDED

# Result extensions that carry progress (xAPI video profile; cmi5, where it is a percentage).
VIDEO_PROGRESS = "https://w3id.org/xapi/video/extensions/progress"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"

COMPLETING_VERBS = frozenset({COMPLETED, PASSED})


@dataclass(frozen=True, slots=True)
class Contribution:
    """The fields of one counted statement that the indicators use."""

    statement_id: str
    # The actor's learner id (data_keys.learner_pseudonym, keyed), never the IFI itself:
    # operations and table keys travel on Kafka, where an erased learner must leave nothing
    # readable, nor anything a guessed IFI could be tested against.
    learner: str
    activity: str | None  # object.id when the object is an Activity
    verb: str
    event_ms: int  # timestamp, else stored
    stored_ms: int
    completes: bool
    progress: float | None  # see progress_of
    score: float | None  # result.score.scaled
    duration_ms: int  # result.duration, 0 when absent
    success: bool | None  # result.success

    def to_row(self) -> list[Any]:
        """A JSON-ready list of the fields in order (an operation message); ``from_row`` reads
        it back."""
        return [getattr(self, name) for name in _FIELDS]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> "Contribution":
        return cls(*row)


_FIELDS = tuple(field.name for field in fields(Contribution))


def contribution_of(document: Mapping[str, Any], learner_id: Pseudonymise) -> Contribution | None:
    """The contribution of a validated statement document, or None when it counts for nothing;
    ``learner_id`` is the pseudonymiser of the statement's tenant.

    None for a voiding statement (it is routed as a retraction of its target instead, see
    ``voided_target``) and for an anonymous Group actor, which is no learner. Raises
    ``ValueError`` for a document with no ``id``, or with neither ``timestamp`` nor ``stored``:
    statements are counted once stored, and storing gives them an id and a stored time.
    """
    verb = document["verb"]["id"]
    if verb == VOIDED:
        return None
    try:
        learner = learner_id(ifi_of_raw(document["actor"]))
    except UnidentifiedActor:
        return None
    statement_id = document.get("id")
    stored = document.get("stored")
    timestamp = document.get("timestamp", stored)
    if statement_id is None or timestamp is None:
        raise ValueError("a counted statement needs an id and a timestamp or stored time")
    event_ms = _ms(timestamp)
    result = document.get("result") or {}
    completes = result.get("completion") is True or verb in COMPLETING_VERBS
    scaled = _number(result.get("score", {}).get("scaled"))
    duration = result.get("duration")
    return Contribution(
        statement_id=statement_id,
        learner=learner,
        activity=_activity_id(document["object"]),
        verb=verb,
        event_ms=event_ms,
        stored_ms=event_ms if stored is None else _ms(stored),
        completes=completes,
        progress=_folded(progress_of(completes, result.get("extensions") or {}, scaled)),
        score=_folded(scaled),
        duration_ms=0 if duration is None else duration_ms(duration),
        success=result.get("success"),
    )


def voided_target(document: Mapping[str, Any]) -> str | None:
    """The id of the statement a voiding statement voids, or None for any other statement."""
    if document["verb"]["id"] != VOIDED:
        return None
    target = document["object"]
    return target["id"] if target.get("objectType") == "StatementRef" else None


def progress_of(
    completes: bool, extensions: Mapping[str, Any], scaled: float | None
) -> float | None:
    """Progress of a statement, first rule that applies: 1.0 when it completes; the video
    extension (0..1); the cmi5 extension / 100; ``score.scaled`` when >= 0; else None.

    Extension values that are not finite JSON numbers (strings, booleans, null) are ignored, as
    if absent, so that the next rule applies.
    """
    if completes:
        return 1.0
    video = _number(extensions.get(VIDEO_PROGRESS))
    if video is not None:
        return video
    cmi5 = _number(extensions.get(CMI5_PROGRESS))
    if cmi5 is not None:
        return cmi5 / 100
    if scaled is not None and scaled >= 0:
        return scaled
    return None


def duration_ms(duration: str) -> int:
    """An ISO 8601 duration in whole milliseconds: ``duration_seconds`` x 1000, rounded half to
    even (years count 365 days and months 30, as there)."""
    return round(duration_seconds(duration) * 1000)


def _folded(value: float | None) -> float | None:
    """The float, with -0.0 folded into 0.0 (the same number, one spelling)."""
    return None if value is None else float(value) + 0.0


def _number(value: object) -> float | None:
    # `type(...) is` on purpose: JSON true is not the number 1.
    if type(value) is int:
        return float(value)
    if type(value) is float and math.isfinite(value):
        return value
    return None


def _activity_id(target: Mapping[str, Any]) -> str | None:
    # xAPI 2.4.4: an object without objectType is an Activity.
    return target["id"] if target.get("objectType", "Activity") == "Activity" else None


def _ms(timestamp: str) -> int:
    return epoch_ms(datetime.fromisoformat(timestamp))
