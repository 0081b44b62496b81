"""Decoding JSON from outside, within bounds every later step can honour.

orjson reads 1,024 levels of nesting but writes only 254, and reads an integer beyond 64 bits as
a float that has lost digits: a statement accepted with either would fail when it is stored or
answered, or come back changed. Both are refused here, with a reason, before validation.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from learning_record.domain.errors import DomainError


class JsonRejected(DomainError):
    """Input that is not JSON, or JSON out of the bounds above (400)."""


MAX_DEPTH = 64  # levels of objects and arrays: far more than any statement needs
_INTEGERS = (-(2**63), 2**64 - 1)  # what orjson reads and writes exactly
_LONG_NUMBER = re.compile(rb"\d{19,}")  # only then can an integer be out of range


def loads_bounded(raw: bytes | str) -> Any:
    """The JSON value of ``raw``; ``JsonRejected`` when it is malformed, nested deeper than
    ``MAX_DEPTH`` or holds an integer orjson cannot keep exactly."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise JsonRejected(f"malformed JSON: {error}") from None
    _check_depth(value)
    encoded = raw.encode() if isinstance(raw, str) else raw
    if _LONG_NUMBER.search(encoded):
        json.loads(encoded, parse_int=_exact_int)  # slow path, only for long digit runs
    return value


def _check_depth(value: Any) -> None:
    """Breadth first, one level at a time: no recursion, whatever the input."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        if depth > MAX_DEPTH:
            raise JsonRejected(f"JSON nested deeper than {MAX_DEPTH} levels")
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        depth += 1


def _exact_int(text: str) -> int:
    number = int(text)
    if not _INTEGERS[0] <= number <= _INTEGERS[1]:
        raise JsonRejected(f"the integer {text[:40]} is beyond 64 bits")
    return number
