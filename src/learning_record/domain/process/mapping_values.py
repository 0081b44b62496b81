"""How one field of a custom record becomes an xAPI value: value maps, types, dates, durations.

Every transformation is one of a fixed set named in the mapping file; none runs code from it.
"""

import math
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from learning_record.domain.xapi.common import duration_seconds

ValueType = Literal["string", "number", "integer", "boolean"]
DurationUnit = Literal["iso", "seconds", "minutes", "milliseconds", "hh:mm:ss"]

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_SECONDS_PER = {"seconds": 1.0, "minutes": 60.0, "milliseconds": 0.001}


def typed(value: object, kind: ValueType) -> str | int | float | bool:
    """``value`` as a JSON value of ``kind``; CSV cells arrive as strings. ``ValueError`` if not."""
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"is not a boolean (true/false, yes/no, 1/0): {value!r}")
    number = _number(value)
    if kind == "integer":
        if not float(number).is_integer():
            raise ValueError(f"is not an integer: {value!r}")
        return int(number)
    return number


def _number(value: object) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"is not a finite number: {value!r}")
    return number


def timestamp(value: object, layout: str, zone: tzinfo | None) -> str:
    """An ISO 8601 timestamp with a time zone from ``value``.

    ``layout`` is "iso", "epoch" (seconds), "epoch_ms", or a ``strptime`` format; a time without
    a zone is taken in ``zone`` (UTC by default).
    """
    if layout in ("epoch", "epoch_ms"):
        seconds = float(_number(value)) / (1000 if layout == "epoch_ms" else 1)
        return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
    text = str(value).strip()
    moment = datetime.fromisoformat(text) if layout == "iso" else datetime.strptime(text, layout)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return moment.isoformat()


def duration(value: object, unit: DurationUnit) -> str:
    """An ISO 8601 duration from a number of ``unit``, a "[h:]mm:ss" clock, or ISO text."""
    if unit == "iso":
        text = str(value).strip()
        duration_seconds(text)  # raises ValueError saying why it is not one
        return text
    if unit == "hh:mm:ss":
        parts = str(value).strip().split(":")
        if not 2 <= len(parts) <= 3:
            raise ValueError(f"is not a [h:]mm:ss duration: {value!r}")
        seconds = sum(
            float(_number(part)) * 60**power for power, part in enumerate(reversed(parts))
        )
    else:
        seconds = float(_number(value)) * _SECONDS_PER[unit]
    if seconds < 0:
        raise ValueError(f"is a negative duration: {value!r}")
    return f"PT{_seconds_text(seconds)}S"


def _seconds_text(seconds: float) -> str:
    rounded = round(seconds, 3)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.3f}".rstrip("0")


def mapped(value: object, table: dict[str, Any]) -> Any:
    """``value`` through the mapping's value map; ``KeyError`` when the map has no entry."""
    return table[value if isinstance(value, str) else str(value)]
