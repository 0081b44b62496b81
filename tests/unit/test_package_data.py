"""Files the package reads at run time are declared as package data, so a wheel carries them
(a checkout runs without them being declared: only an installed wheel would miss them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "learning_record"


def package_data() -> dict[str, list[str]]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared: dict[str, list[str]] = pyproject["tool"]["setuptools"]["package-data"]
    return declared


def test_every_lua_script_of_the_store_is_package_data() -> None:
    store = PACKAGE / "store"
    shipped = {
        path for pattern in package_data()["learning_record.store"] for path in store.glob(pattern)
    }

    assert shipped == set(store.rglob("*.lua"))
    assert (store / "scripts" / "write_view.lua") in shipped
