"""Tenant names: one rule for API keys and for the lr-tenant header of Kafka records."""

from __future__ import annotations

import pytest

from learning_record.domain.errors import InvalidTenant
from learning_record.domain.tenants import checked_tenant


@pytest.mark.parametrize("name", ["a", "acme", "acme-2", "acme_2", "0acme", "x" * 63])
def test_slugs_are_tenant_names(name: str) -> None:
    assert checked_tenant(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "a|b", "acme\n", "Acme", "a b", "-acme", "_acme", "{t:a}", "a}b", "é", "x" * 64],
    ids=[
        "empty",
        "routing_separator",
        "trailing_newline",
        "uppercase",
        "space",
        "leading_dash",
        "leading_underscore",
        "hash_tag",
        "brace",
        "non_ascii",
        "too_long",
    ],
)
def test_anything_else_is_refused_naming_the_rule(name: str) -> None:
    with pytest.raises(InvalidTenant) as refused:
        checked_tenant(name)
    assert str(refused.value) == (
        f"tenant {name!r} is not 1-63 lowercase letters, digits, '-' or '_', starting with a "
        "letter or digit"
    )
