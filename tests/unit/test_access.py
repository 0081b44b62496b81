"""API keys: hashing, constant-time checks, scopes and the x-api-key shape."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from learning_record.domain.access import (
    Scope,
    hash_secret,
    key_authority,
    key_authority_filter,
    mint_key,
    revoked,
    rotated,
    secret_matches,
    split_api_key,
    supersedes,
    written_by_key,
)
from learning_record.domain.statement_index import AgentFilter


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
        ((Scope.ALL,), Scope.INDICATORS_READ, True),
        ((Scope.ALL,), Scope.OPS, False),
        ((Scope.ALL, Scope.OPS), Scope.OPS, True),
        ((Scope.OPS,), Scope.OPS, True),
        ((Scope.OPS,), Scope.STATEMENTS_READ, False),
        ((Scope.ALL_READ,), Scope.STATEMENTS_READ, True),
        ((Scope.ALL_READ,), Scope.INDICATORS_READ, True),
        ((Scope.ALL_READ,), Scope.STATEMENTS_WRITE, False),
        ((Scope.ALL_READ,), Scope.STATEMENTS_READ_MINE, True),
        ((Scope.ALL_READ,), Scope.OPS, False),
        ((Scope.ALL_READ,), Scope.ADMIN, False),
        ((Scope.STATEMENTS_READ_MINE,), Scope.STATEMENTS_READ, False),
        ((Scope.STATEMENTS_READ,), Scope.STATEMENTS_READ_MINE, False),
        ((Scope.ADMIN,), Scope.STATEMENTS_READ, False),
    ],
    ids=[
        "own_scope",
        "other_scope",
        "all_covers_admin",
        "all_covers_indicators",
        "all_is_one_tenant_not_ops",
        "ops_is_granted_by_name",
        "ops_alone",
        "ops_reads_no_statements",
        "all_read_reads",
        "all_read_indicators",
        "all_read_cannot_write",
        "all_read_reads_mine",
        "all_read_is_not_ops",
        "all_read_is_not_admin",
        "mine_is_not_everything",
        "read_does_not_list_mine_it_is_checked_by_the_view",
        "admin_reads_no_statements",
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


def test_a_keys_authority_is_an_account_agent_and_its_index_term() -> None:
    assert key_authority("lrk_1") == {
        "objectType": "Agent",
        "account": {"homePage": "urn:learningrecord:api-key", "name": "lrk_1"},
    }
    assert key_authority_filter("lrk_1") == AgentFilter(
        "related-agent", "account:urn:learningrecord:api-key|lrk_1"
    )


@pytest.mark.parametrize(
    ("authority", "mine"),
    [
        (
            {
                "objectType": "Agent",
                "account": {"homePage": "urn:learningrecord:api-key", "name": "lrk_1"},
            },
            True,
        ),
        ({"account": {"homePage": "urn:learningrecord:api-key", "name": "lrk_1"}}, True),
        (
            {
                "objectType": "Agent",
                "account": {"homePage": "urn:learningrecord:api-key", "name": "lrk_2"},
            },
            False,
        ),
        (
            {
                "objectType": "Agent",
                "account": {"homePage": "urn:learningrecord:kafka", "name": "lrk_1"},
            },
            False,
        ),
        (
            {
                "objectType": "Group",
                "member": [
                    {"account": {"homePage": "urn:learningrecord:api-key", "name": "lrk_1"}},
                    {"mbox": "mailto:user@example.org"},
                ],
            },
            False,
        ),
        (None, False),
    ],
    ids=["agent", "objecttype_omitted", "other_key", "kafka_producer", "oauth_group", "none"],
)
def test_written_by_key_is_the_exact_authority_the_key_gets(
    authority: dict[str, object] | None, mine: bool
) -> None:
    document = {"id": "x"} if authority is None else {"id": "x", "authority": authority}
    assert written_by_key(document, "lrk_1") is mine


def test_rotation_keeps_the_key_and_replaces_only_its_secret() -> None:
    issued = mint_key(tenant="acme", name="k", scopes=(Scope.STATEMENTS_READ,), plan="pro")
    new = rotated(issued.record)
    assert new.record.model_dump(exclude={"secret_hash", "revision"}) == issued.record.model_dump(
        exclude={"secret_hash", "revision"}
    )
    assert new.record.revision == issued.record.revision + 1
    assert secret_matches(new.record, new.secret)
    assert not secret_matches(new.record, issued.secret)


def test_revocation_is_a_new_revision() -> None:
    record = mint_key(tenant="acme", name="k", scopes=(Scope.ALL,)).record
    assert revoked(record).revoked
    assert revoked(record).revision == 1


def test_a_higher_revision_supersedes_and_a_revocation_wins_a_tie() -> None:
    created = mint_key(tenant="acme", name="k", scopes=(Scope.ALL,)).record
    rotation = rotated(created).record
    revocation = revoked(created)  # from the same revision as the rotation: a race

    assert supersedes(created, None)
    assert supersedes(rotation, created)
    assert not supersedes(created, rotation)
    assert supersedes(revocation, rotation)
    assert not supersedes(rotation, revocation)
    assert supersedes(rotation, rotation)  # the same record again changes nothing
