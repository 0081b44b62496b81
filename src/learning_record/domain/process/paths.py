"""JSON paths as this project spells them (``xapi.common.path_segment``), read back.

``context.extensions["https://example.com/x"]``, ``data[2].actor.id``, ``parent[*].id``: names
after dots, string keys and indexes in brackets, ``[*]`` for every item of an array. Mapping
files and profile rules are written in it, and recommendations report it.
"""

import json
import re
from functools import lru_cache
from typing import Final

WILDCARD: Final = "*"
Segment = str | int

_NAME = re.compile(r"[^.\[\]\s]+")
_QUOTED = re.compile(r'\["(?:[^"\\]|\\.)*"\]')
_INDEX = re.compile(r"\[(?:[0-9]+|\*)\]")


@lru_cache(maxsize=1024)  # the same few paths of mappings and rules, parsed once
def parse_path(text: str) -> tuple[Segment, ...]:
    """The segments of ``text``; ``ValueError`` saying where it is malformed."""
    segments: list[Segment] = []
    position = 0
    while position < len(text):
        if text[position] == "." and segments:
            position += 1
        match = (
            _QUOTED.match(text, position)
            or _INDEX.match(text, position)
            or _NAME.match(text, position)
        )
        if match is None:
            raise ValueError(f"malformed path {text!r} at character {position + 1}")
        token = match.group()
        if token.startswith('["'):
            segments.append(json.loads(token[1:-1]))
        elif token == "[*]":
            segments.append(WILDCARD)
        elif token.startswith("["):
            segments.append(int(token[1:-1]))
        else:
            segments.append(token)
        position = match.end()
    if not segments:
        raise ValueError("empty path")
    return tuple(segments)


def values_at(document: object, path: tuple[Segment, ...]) -> list[object]:
    """Every value found at ``path`` in ``document`` (several only through ``[*]``)."""
    found = [document]
    for segment in path:
        found = [child for value in found for child in _children(value, segment)]
    return found


def _children(value: object, segment: Segment) -> list[object]:
    if segment == WILDCARD:
        return list(value) if isinstance(value, list) else []
    if isinstance(segment, int):
        return [value[segment]] if isinstance(value, list) and segment < len(value) else []
    # A name on an array applies to each item, as JSONPath-based profile rules read
    # "contextActivities.category.id".
    if isinstance(value, list):
        return [item[segment] for item in value if isinstance(item, dict) and segment in item]
    return [value[segment]] if isinstance(value, dict) and segment in value else []
