"""Which origins may call the API, per tenant (api.cors.OriginPolicy): pure, no server."""

from __future__ import annotations

import pytest

from learning_record.api.cors import OriginPolicy
from learning_record.platform.settings import CorsSettings

POLICY = OriginPolicy.from_settings(
    CorsSettings(
        default_origins=["https://content.example"],
        origins={"acme": ["https://lms.acme.example"], "globex": ["*"]},
    )
)


@pytest.mark.parametrize(
    ("origin", "tenant", "allowed"),
    [
        ("https://content.example", "acme", True),  # default: every tenant
        ("https://content.example", "initech", True),
        ("https://lms.acme.example", "acme", True),
        ("https://lms.acme.example", "initech", False),  # another tenant's origin
        ("http://lms.acme.example", "acme", False),  # scheme is part of the origin
        ("https://lms.acme.example:8443", "acme", False),  # and so is the port
        ("https://anything.example", "globex", True),  # "*"
        ("null", "acme", False),  # file:// and sandboxed pages, unless listed
    ],
)
def test_an_origin_is_allowed_by_the_defaults_or_its_tenants_list(
    origin: str, tenant: str, allowed: bool
) -> None:
    assert POLICY.allows(origin, tenant) is allowed


def test_a_preflight_origin_needs_only_some_tenant_to_allow_it() -> None:
    closed = OriginPolicy.from_settings(
        CorsSettings(origins={"acme": ["https://lms.acme.example"]})
    )
    assert closed.allows_for_some_tenant("https://lms.acme.example")
    assert not closed.allows_for_some_tenant("https://evil.example")
    assert not OriginPolicy.from_settings(CorsSettings()).allows_for_some_tenant(
        "https://lms.acme.example"
    )
