"""The public contract, as a flat and reviewable extract of the OpenAPI document, and the rule
that guards it: removing a path, a method, a parameter, a request media type or a response
property, or changing a type, is a breaking change and needs a new API version. Additions are
not.

The committed snapshot is ``docs/contract/openapi-v1.json``; ``make contract`` rewrites it from
the running code, on purpose, when a change is meant (docs/security.md).

    python -m api.contract [--check] [PATH]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

# The committed contract, in the repository (a development tool: not used by the API itself).
SNAPSHOT = Path(__file__).resolve().parents[3] / "docs/contract/openapi-v1.json"
_MAX_DEPTH = 12

Contract = dict[str, Any]


def contract_of(document: Mapping[str, Any]) -> Contract:
    """Paths and methods, parameters, request media types and response properties with their
    types, of every documented operation (``x-undocumented`` ones are not promised yet)."""
    schemas = document.get("components", {}).get("schemas", {})
    operations: dict[str, Any] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if operation.get("x-undocumented"):
                continue
            operations[f"{method.upper()} {path}"] = {
                "parameters": {
                    f"{p['in']} {p['name']}": {
                        "type": _type(p.get("schema", {}), schemas),
                        "required": bool(p.get("required", False)),
                    }
                    for p in operation.get("parameters", ())
                },
                "request": sorted(operation.get("requestBody", {}).get("content", {})),
                "responses": {
                    status: {
                        media: dict(sorted(_properties(entry.get("schema", {}), schemas)))
                        for media, entry in response.get("content", {}).items()
                    }
                    for status, response in operation["responses"].items()
                },
            }
    return {"operations": dict(sorted(operations.items()))}


def breaking_changes(promised: Contract, current: Contract) -> list[str]:
    """What ``current`` breaks of ``promised``; empty when it only adds."""
    broken: list[str] = []
    for name, old in promised["operations"].items():
        new = current["operations"].get(name)
        if new is None:
            broken.append(f"{name}: removed")
            continue
        broken += _parameter_changes(name, old["parameters"], new["parameters"])
        broken += [
            f"{name}: request media type {media} removed"
            for media in old["request"]
            if media not in new["request"]
        ]
        for status, media_types in old["responses"].items():
            if status not in new["responses"]:
                broken.append(f"{name}: response {status} removed")
                continue
            for media, properties in media_types.items():
                now = new["responses"][status].get(media)
                if now is None:
                    broken.append(f"{name}: response {status} {media} removed")
                    continue
                broken += _property_changes(f"{name} {status} {media}", properties, now)
    return broken


def _parameter_changes(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[str]:
    for parameter, was in old.items():
        now = new.get(parameter)
        if now is None:
            yield f"{name}: parameter {parameter} removed"
        elif now["type"] != was["type"]:
            yield f"{name}: parameter {parameter} changed type {was['type']} -> {now['type']}"
        elif now["required"] and not was["required"]:
            yield f"{name}: parameter {parameter} became required"


def _property_changes(where: str, old: Mapping[str, str], new: Mapping[str, str]) -> Iterator[str]:
    for path, was in old.items():
        now = new.get(path)
        if now is None:
            yield f"{where}: property {path or '(body)'} removed"
        elif now != was:
            yield f"{where}: property {path or '(body)'} changed type {was} -> {now}"


# --- Types ------------------------------------------------------------------------------------


def _resolved(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    return schemas[ref.rsplit("/", 1)[-1]] if isinstance(ref, str) else schema


def _type(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> str:
    """A short signature of a schema's type: ``string``, ``array``, ``object``, ``a|b``."""
    schema = _resolved(schema, schemas)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return "|".join(sorted({_type(branch, schemas) for branch in schema[union]}))
    declared = schema.get("type")
    if isinstance(declared, list):
        return "|".join(sorted(declared))
    if declared is not None:
        return str(declared)
    if "const" in schema:
        return _json_type(schema["const"])
    if "enum" in schema:
        return "|".join(sorted({_json_type(value) for value in schema["enum"]}))
    return "object" if "properties" in schema else "any"


def _json_type(value: Any) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), "null")


def _properties(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, type) of the body and of every property under it, through arrays (``a[]``) and
    unions; a path found in several branches with several types gets their union."""
    found: dict[str, set[str]] = {}
    _walk(schema, schemas, "", found, (), 0)
    for path, types in found.items():
        yield path, "|".join(sorted({part for sig in types for part in sig.split("|")}))


def _walk(
    schema: Mapping[str, Any],
    schemas: Mapping[str, Any],
    path: str,
    found: dict[str, set[str]],
    refs: tuple[str, ...],
    depth: int,
) -> None:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in refs or depth > _MAX_DEPTH:
            return  # a recursive type: its properties are listed at its first appearance
        refs = (*refs, ref)
    schema = _resolved(schema, schemas)
    found.setdefault(path, set()).add(_type(schema, schemas))
    for union in ("anyOf", "oneOf"):
        for branch in schema.get(union, ()):
            _walk_branch(branch, schemas, path, found, refs, depth)
    if "items" in schema:
        _walk(schema["items"], schemas, f"{path}[]", found, refs, depth + 1)
    for name, sub in schema.get("properties", {}).items():
        _walk(sub, schemas, f"{path}.{name}" if path else name, found, refs, depth + 1)


def _walk_branch(
    branch: Mapping[str, Any],
    schemas: Mapping[str, Any],
    path: str,
    found: dict[str, set[str]],
    refs: tuple[str, ...],
    depth: int,
) -> None:
    """A union's branch adds its properties under the same path, not its own type again."""
    before = set(found.get(path, ()))
    _walk(branch, schemas, path, found, refs, depth)
    found[path] = before or found[path]


# --- Command line ------------------------------------------------------------------------------


def current_contract() -> Contract:
    from learning_record.api.app import BASE_PATH, create_app
    from learning_record.api.openapi import openapi_document
    from learning_record.platform.settings import Settings

    return contract_of(openapi_document(create_app(Settings()), BASE_PATH, "snapshot"))


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [arg for arg in argv if not arg.startswith("--")]
    target = Path(paths[0]) if paths else SNAPSHOT
    contract = current_contract()
    if check:
        broken = breaking_changes(orjson.loads(target.read_bytes()), contract)
        for line in broken:
            print(line)
        return 1 if broken else 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(orjson.dumps(contract, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {target}: {len(contract['operations'])} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
