"""The public contract holds: every path, method, parameter and response property of the
committed snapshot (docs/contract/openapi-v1.json) is still served, with the same types.
Additions pass. `make contract` rewrites the snapshot when a change is meant."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from learning_record.api.contract import SNAPSHOT, breaking_changes, current_contract

STATEMENTS = "GET /learningrecord/v1/statements"


@pytest.fixture(scope="module")
def promised() -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(SNAPSHOT.read_bytes())
    return loaded


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    return current_contract()


def test_the_code_keeps_every_promise_of_the_committed_contract(
    promised: dict[str, Any], current: dict[str, Any]
) -> None:
    assert breaking_changes(promised, current) == []


def test_the_snapshot_covers_the_statement_resource(promised: dict[str, Any]) -> None:
    operations = promised["operations"]
    assert {
        "GET /learningrecord/v1/statements",
        "POST /learningrecord/v1/statements",
        "PUT /learningrecord/v1/statements",
        "GET /learningrecord/v1/about",
    } <= set(operations)
    ok = operations[STATEMENTS]["responses"]["200"]["application/json"]
    assert ok["statements[].actor.mbox"] == "string"
    assert ok["more"] == "string"
    assert operations[STATEMENTS]["parameters"]["query since"] == {
        "type": "string",
        "required": False,
    }


def _changed(contract: dict[str, Any], change: str) -> dict[str, Any]:
    changed = copy.deepcopy(contract)
    operation = changed["operations"][STATEMENTS]
    ok = operation["responses"]["200"]["application/json"]
    if change == "remove_path":
        del changed["operations"][STATEMENTS]
    elif change == "remove_parameter":
        del operation["parameters"]["query agent"]
    elif change == "retype_parameter":
        operation["parameters"]["query limit"]["type"] = "string"
    elif change == "require_parameter":
        operation["parameters"]["query verb"]["required"] = True
    elif change == "remove_property":
        del ok["more"]
    elif change == "retype_property":
        ok["statements[].stored"] = "integer"
    elif change == "remove_media_type":
        operation["responses"]["200"].pop("multipart/mixed")
    return changed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("remove_path", f"{STATEMENTS}: removed"),
        ("remove_parameter", f"{STATEMENTS}: parameter query agent removed"),
        ("retype_parameter", f"{STATEMENTS}: parameter query limit changed type integer -> string"),
        ("require_parameter", f"{STATEMENTS}: parameter query verb became required"),
        ("remove_property", f"{STATEMENTS} 200 application/json: property more removed"),
        (
            "retype_property",
            f"{STATEMENTS} 200 application/json: property statements[].stored changed type "
            "string -> integer",
        ),
        ("remove_media_type", f"{STATEMENTS}: response 200 multipart/mixed removed"),
    ],
)
def test_the_guard_names_each_breaking_change(
    current: dict[str, Any], change: str, message: str
) -> None:
    assert breaking_changes(current, _changed(current, change)) == [message]


def test_additions_are_not_breaking(current: dict[str, Any]) -> None:
    grown = copy.deepcopy(current)
    operation = grown["operations"][STATEMENTS]
    operation["parameters"]["query newFilter"] = {"type": "string", "required": False}
    operation["responses"]["200"]["application/json"]["statements[].newProperty"] = "string"
    operation["request"].append("application/xml")
    grown["operations"]["GET /learningrecord/v1/new"] = {
        "parameters": {},
        "request": [],
        "responses": {},
    }
    assert breaking_changes(current, grown) == []
