"""SCORM 2004 (4th edition) CMI run-time data, as an LMS reports a learner's attempt, to xAPI.

The data model names (``cmi.completion_status`` …) come from the data model chapter of the
SCORM 2004 Run-Time Environment book. A report is a JSON object holding the CMI elements,
either flat (``{"cmi.completion_status": "completed"}``, as SetValue calls name them) or nested
(``{"cmi": {"completion_status": "completed"}}``), with the values as strings, as the API
carries them. The CMI data names no activity, so the report says which one, beside the data:

- ``activity_id`` (required): the IRI of the SCO; ``activity_name`` and ``activity_type`` are
  optional;
- ``lms`` (optional): the IRI of the LMS, home page of the learner's account (default: the host
  of ``activity_id``);
- ``timestamp`` (optional): when the data was reported.

One report gives a statement per outcome, as cmi5 does: "completed" for a completed attempt,
"passed" or "failed" for a decided success status, else one "progressed". Each carries the
score, the session time as duration and the progress measure.
"""

import math
from typing import Any

from learning_record.domain.process.conversion import (
    UNDETERMINED,
    Converted,
    Document,
    Produced,
    origin,
    required_text,
)
from learning_record.domain.process.errors import ConversionFailed
from learning_record.domain.xapi.common import duration_seconds
from learning_record.domain.xapi.verbs import COMPLETED, FAILED, PASSED

NAME = "scorm"
VERSION = "2004"
PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
# cmi5's progress result extension: an integer percentage.
PROGRESS_EXTENSION = "https://w3id.org/xapi/cmi5/result/extensions/progress"
SCO_TYPE = "http://adlnet.gov/expapi/activities/lesson"

_DISPLAY = {COMPLETED: "completed", PASSED: "passed", FAILED: "failed", PROGRESSED: "progressed"}
_SUCCESS_VERBS = {"passed": PASSED, "failed": FAILED}
_COMPLETION = {"completed": True, "incomplete": False, "not attempted": False}
_SUCCESS = {"passed": True, "failed": False}


def rejection(data: object) -> str | None:
    """Why ``data`` is not a SCORM 2004 CMI report; None when it is one."""
    if not isinstance(data, dict):
        return "not a JSON object (a SCORM 2004 CMI report)"
    cmi = _cmi_elements(data)
    if not cmi:
        return "no 'cmi.' data model element"
    if "learner_id" not in cmi:
        return "no cmi.learner_id"
    return None


def convert(data: dict[str, Any]) -> Converted:
    cmi = _cmi_elements(data)
    activity_id = required_text(NAME, data, "activity_id", "")
    base: Document = {
        "actor": _learner(cmi, data, activity_id),
        "object": _activity(data, activity_id),
    }
    if isinstance(data.get("timestamp"), str):
        base["timestamp"] = data["timestamp"]
    result = _result(cmi)
    verbs = [COMPLETED] if cmi.get("completion_status") == "completed" else []
    if cmi.get("success_status") in _SUCCESS_VERBS:
        verbs.append(_SUCCESS_VERBS[cmi["success_status"]])
    statements = [
        {**base, "verb": {"id": verb, "display": {"en-US": _DISPLAY[verb]}}, "result": result}
        for verb in verbs or [PROGRESSED]
    ]
    return Converted(
        [Produced(statement, "") for statement in statements], VERSION, len(statements) > 1
    )


def _cmi_elements(data: dict[str, Any]) -> dict[str, Any]:
    """The CMI elements by name without "cmi.": ``{"score.scaled": "0.8", …}``."""
    elements = {
        key.removeprefix("cmi."): value for key, value in data.items() if key.startswith("cmi.")
    }
    nested = data.get("cmi")
    if isinstance(nested, dict):
        elements |= _flattened(nested, "")
    return elements


def _flattened(tree: dict[str, Any], prefix: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= _flattened(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _learner(cmi: dict[str, Any], data: dict[str, Any], activity_id: str) -> Document:
    learner_id = cmi.get("learner_id")
    if not isinstance(learner_id, str) or not learner_id:
        raise ConversionFailed(NAME, "cmi.learner_id", "must be a non-empty string")
    home_page = data.get("lms") if isinstance(data.get("lms"), str) else origin(activity_id)
    if home_page is None:
        raise ConversionFailed(NAME, "lms", "is required when activity_id is not an http(s) IRI")
    learner: Document = {
        "objectType": "Agent",
        "account": {"homePage": home_page, "name": learner_id},
    }
    if isinstance(cmi.get("learner_name"), str) and cmi["learner_name"]:
        learner["name"] = cmi["learner_name"]
    return learner


def _activity(data: dict[str, Any], activity_id: str) -> Document:
    definition: Document = {"type": data.get("activity_type") or SCO_TYPE}
    if isinstance(data.get("activity_name"), str):
        definition["name"] = {UNDETERMINED: data["activity_name"]}
    return {"objectType": "Activity", "id": activity_id, "definition": definition}


def _result(cmi: dict[str, Any]) -> Document:
    result: Document = {}
    if cmi.get("completion_status") in _COMPLETION:
        result["completion"] = _COMPLETION[cmi["completion_status"]]
    if cmi.get("success_status") in _SUCCESS:
        result["success"] = _SUCCESS[cmi["success_status"]]
    score = {
        name: _real(cmi[f"score.{name}"], f"cmi.score.{name}")
        for name in ("scaled", "raw", "min", "max")
        if f"score.{name}" in cmi
    }
    if score:
        result["score"] = score
    if "session_time" in cmi:
        result["duration"] = _duration(cmi["session_time"])
    if "progress_measure" in cmi:
        progress = _real(cmi["progress_measure"], "cmi.progress_measure")
        if not 0 <= progress <= 1:
            raise ConversionFailed(NAME, "cmi.progress_measure", "must be between 0 and 1")
        result["extensions"] = {PROGRESS_EXTENSION: round(progress * 100)}
    return result


def _real(value: object, where: str) -> float | int:
    # SCORM carries real(10,7) values as strings ("0.85"); numbers are accepted too.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        number = float(value) if isinstance(value, str) else None
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):
        raise ConversionFailed(NAME, where, f"must be a real number; got {value!r}")
    return int(number) if number.is_integer() and "." not in str(value) else number


def _duration(value: object) -> str:
    # SCORM 2004's timeinterval (second,10,2) is an ISO 8601 duration ("PT1H5M3.25S").
    if isinstance(value, str):
        try:
            duration_seconds(value)
        except ValueError as error:
            raise ConversionFailed(NAME, "cmi.session_time", str(error)) from None
        return value
    raise ConversionFailed(NAME, "cmi.session_time", "must be an ISO 8601 duration string")
