"""xAPI 1.0.x statements, one or an array: already xAPI, passed through to validation."""

from typing import Any

from learning_record.domain.process.conversion import Converted, Produced

NAME = "xapi"
_REQUIRED = ("actor", "verb", "object")


def rejection(data: object) -> str | None:
    """Why ``data`` is not an xAPI statement or array of them; None when it is."""
    items = data if isinstance(data, list) else [data]
    if not items:
        return "an empty array"
    for index, item in enumerate(items):
        where = f"[{index}]" if isinstance(data, list) else "the object"
        if not isinstance(item, dict):
            return f"{where} is not a JSON object"
        missing = [name for name in _REQUIRED if name not in item]
        if missing:
            return (
                f"{where} has no {', '.join(missing)} (an xAPI statement has actor, verb, object)"
            )
    return None


def convert(data: dict[str, Any] | list[dict[str, Any]]) -> Converted:
    if isinstance(data, dict):
        return Converted([Produced(data, "")], _version([data]), collection=False)
    return Converted(
        [Produced(item, f"[{index}]") for index, item in enumerate(data)], _version(data), True
    )


def _version(statements: list[dict[str, Any]]) -> str | None:
    versions = {item.get("version") for item in statements}
    only = versions.pop() if len(versions) == 1 else None
    return only if isinstance(only, str) else None
