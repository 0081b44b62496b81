"""API keys: hashing, constant-time checks, scopes and the x-api-key shape."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from learning_domain.access import (
    Scope,
    hash_secret,
    mint_key,
    secret_matches,
    split_api_key,
)


def test_minted_key_stores_only_the_hash_of_its_secret() -> None:
    issued = mint_key(tenant="acme", name="lms", scopes=(Scope.STATEMENTS_WRITE,))
    dumped = issued.record.model_dump_json()
    assert issued.secret not in dumped
    assert issued.record.secret_hash == hash_secret(issued.record.key_id, issued.secret)
    assert secret_matches(issued.record, issued.secret)
    assert not secret_matches(issued.record, issued.secret + "x")


def test_the_same_secret_hashes_differently_under_another_key_id() -> None:
    assert hash_secret("lrk_a", "s3cret") != hash_secret("lrk_b", "s3cret")


@pytest.mark.parametrize(
    ("scopes", "needed", "granted"),
    [
        ((Scope.STATEMENTS_WRITE,), Scope.STATEMENTS_WRITE, True),
        ((Scope.STATEMENTS_WRITE,), Scope.STATEMENTS_READ, False),
        ((Scope.ALL,), Scope.ADMIN, True),
        ((Scope.ALL_READ,), Scope.STATEMENTS_READ, True),
        ((Scope.ALL_READ,), Scope.INDICATORS_READ, True),
        ((Scope.ALL_READ,), Scope.STATEMENTS_WRITE, False),
    ],
    ids=[
        "own_scope",
        "other_scope",
        "all_covers_admin",
        "all_read_reads",
        "all_read_indicators",
        "all_read_cannot_write",
    ],
)
def test_scopes(scopes: tuple[Scope, ...], needed: Scope, granted: bool) -> None:
    record = mint_key(tenant="acme", name="k", scopes=scopes).record
    assert record.grants(needed) is granted


def test_revoked_key_grants_nothing() -> None:
    record = mint_key(tenant="acme", name="k", scopes=(Scope.ALL,)).record
    assert not record.model_copy(update={"revoked": True}).grants(Scope.STATEMENTS_READ)


@pytest.mark.parametrize("tenant", ["", "Acme", "a b", "x" * 64])
def test_tenant_must_be_a_slug(tenant: str) -> None:
    with pytest.raises(ValidationError, match="tenant"):
        mint_key(tenant=tenant, name="k", scopes=(Scope.ALL,))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("lrk_1.abc", ("lrk_1", "abc")),
        ("lrk_1.a.b", ("lrk_1", "a.b")),
        ("lrk_1", None),
        (".abc", None),
        ("lrk_1.", None),
    ],
)
def test_split_api_key(header: str, expected: tuple[str, str] | None) -> None:
    assert split_api_key(header) == expected
