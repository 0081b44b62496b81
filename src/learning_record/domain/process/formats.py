"""The input formats, and how one is chosen: the one asked for, else the first that accepts.

Each format says why it rejects an input rather than just "no", so that an undetectable input
is answered with every format's reason.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from learning_record.domain.process import caliper, mapping, scorm, xapi_input
from learning_record.domain.process.conversion import Converted
from learning_record.domain.process.errors import Rejection, UndetectableInput
from learning_record.domain.process.mapping import RecordMapping

InputFormat = Literal["xapi", "caliper", "scorm", "custom"]
INPUT_FORMATS: tuple[str, ...] = get_args(InputFormat)


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    rejection: Callable[[object, RecordMapping | None], str | None]
    convert: Callable[[Any, RecordMapping | None], Converted]


def _with_mapping(data: object, record_mapping: RecordMapping | None) -> Converted:
    if record_mapping is None:  # rejection() says so first; kept for the type checker
        raise UndetectableInput((Rejection(mapping.NAME, "no mapping was given"),))
    return mapping.convert(data, record_mapping)


_FORMATS = {
    "xapi": Format(
        "xapi", lambda data, _: xapi_input.rejection(data), lambda d, _: xapi_input.convert(d)
    ),
    "caliper": Format(
        "caliper", lambda data, _: caliper.rejection(data), lambda d, _: caliper.convert(d)
    ),
    "scorm": Format("scorm", lambda data, _: scorm.rejection(data), lambda d, _: scorm.convert(d)),
    "custom": Format("custom", mapping.rejection, _with_mapping),
}


def converted(
    data: object, input_format: str | None, record_mapping: RecordMapping | None
) -> tuple[str, Converted]:
    """The name of the format that reads ``data``, and what it made of it.

    Without ``input_format``, a given mapping is tried first (whoever sends one means it), then
    xAPI, Caliper and SCORM. Raises ``UndetectableInput`` with each candidate's reason.
    """
    if input_format is not None and input_format not in _FORMATS:
        unknown = f"unknown input format; one of {', '.join(INPUT_FORMATS)}"
        raise UndetectableInput((Rejection(input_format, unknown),))
    candidates: list[str]
    if input_format is not None:
        candidates = [input_format]
    elif record_mapping is not None:
        candidates = ["custom", "xapi", "caliper", "scorm"]
    else:
        candidates = list(INPUT_FORMATS)
    rejections = []
    for name in candidates:
        found = _FORMATS[name]
        reason = found.rejection(data, record_mapping)
        if reason is None:
            return name, found.convert(data, record_mapping)
        rejections.append(Rejection(name, reason))
    raise UndetectableInput(tuple(rejections))
