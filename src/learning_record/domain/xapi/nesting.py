"""How deep a decoded JSON document nests, checked before anything recursive touches it.

Extension values are any JSON (xAPI 4.1), so nothing in the spec bounds their depth, but every
recursive step after parsing does: pydantic's validation and serialisation, orjson (254 levels)
and Redis's cjson. A document deeper than ``MAX_NESTING`` is refused with its path instead, far
above what any statement needs (about ten levels without extensions).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAX_NESTING = 128


@dataclass(frozen=True, slots=True)
class _Step:
    """A container on the way down, linked to its parent: the path is built only on failure."""

    parent: _Step | None
    key: str | int | None
    depth: int


def too_deep_at(document: object, limit: int = MAX_NESTING) -> tuple[str | int, ...] | None:
    """The location (keys and indexes) of the first container nested deeper than ``limit``, or
    None. Iterative, so that the check itself cannot exhaust the stack."""
    if not isinstance(document, dict | list):
        return None
    pending: list[tuple[dict[Any, Any] | list[Any], _Step]] = [(document, _Step(None, None, 1))]
    while pending:
        value, step = pending.pop()
        if step.depth > limit:
            return _location(step)
        children: Iterable[tuple[Any, Any]] = (
            value.items() if isinstance(value, dict) else enumerate(value)
        )
        for key, child in children:
            if isinstance(child, dict | list):
                pending.append((child, _Step(step, key, step.depth + 1)))
    return None


def _location(step: _Step) -> tuple[str | int, ...]:
    keys: list[str | int] = []
    node: _Step | None = step
    while node is not None and node.key is not None:
        keys.append(node.key)
        node = node.parent
    return tuple(reversed(keys))
