"""Decoding JSON from outside, within bounds every later step can honour.

orjson reads an integer beyond 64 bits as a float that has lost digits: a statement accepted
with one would come back changed. Such input is refused here, with a reason, before validation.
(Nesting is bounded where statements are validated: ``xapi.nesting``.)
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from learning_record.domain.errors import DomainError


class JsonRejected(DomainError):
    """Input that is not JSON, or JSON with an integer orjson cannot keep exactly (400)."""


_INTEGERS = (-(2**63), 2**64 - 1)  # what orjson reads and writes exactly
_LONG_NUMBER = re.compile(rb"\d{19,}")  # only then can an integer be out of range


def loads_bounded(raw: bytes | str) -> Any:
    """The JSON value of ``raw``; ``JsonRejected`` when it is malformed or holds an integer
    orjson cannot keep exactly."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise JsonRejected(f"invalid JSON: {error}") from None
    encoded = raw.encode() if isinstance(raw, str) else raw
    if _LONG_NUMBER.search(encoded):
        json.loads(encoded, parse_int=_exact_int)  # slow path, only for long digit runs
    return value


def _exact_int(text: str) -> int:
    number = int(text)
    if not _INTEGERS[0] <= number <= _INTEGERS[1]:
        raise JsonRejected(f"the integer {text[:40]} is beyond 64 bits")
    return number
