"""Learners' data keys: pseudonyms, tenants' key-encryption keys, wrapping and rotation.

The pinned values below are what keys already written to the learner-keys topic were named
and wrapped with: a change to any of them orphans every learner's keys.
"""

import base64
import hashlib
import hmac
import re

import pytest

from learning_record.domain.data_keys import (
    KEY_BYTES,
    NONCE_BYTES,
    DataKey,
    KeyRef,
    KeyUnreadable,
    MasterKeys,
    WrappedKey,
    learner_pseudonym,
    parse_record_key,
    pseudonymiser,
    record_key,
    tenant_key,
    tenant_secret,
)

SECRET = b"s" * 32
ADA = "mbox:mailto:ada@example.com"
BOB = "mbox:mailto:bob@example.com"
TENANT = "acme"
MASTERS = MasterKeys(newest="m1", secrets={"m1": "first master secret"})
GCM_TAG_BYTES = 16


def _key(pseudonym: str = "0123456789abcdef0123456789abcdef") -> DataKey:
    return DataKey(KeyRef(pseudonym, "00112233aabbccdd"), bytes(range(KEY_BYTES)))


def _altered(record: WrappedKey, at: int) -> WrappedKey:
    raw = bytearray(base64.b64decode(record.wrapped))
    raw[at] ^= 0x01
    return WrappedKey(master=record.master, wrapped=base64.b64encode(bytes(raw)).decode())


# --- Pseudonyms ----------------------------------------------------------------------------------


def test_pseudonym_is_the_pinned_hmac_of_the_ifi_in_32_hex_digits() -> None:
    assert learner_pseudonym(SECRET, ADA) == "e77c2d5a19cc3451f7a190989cd1e448"


def test_pseudonym_is_32_lowercase_hex_digits() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", learner_pseudonym(SECRET, BOB))


def test_pseudonym_is_stable_for_the_same_secret_and_ifi() -> None:
    assert learner_pseudonym(SECRET, ADA) == learner_pseudonym(
        b"s" * 32, "mbox:mailto:ada@example.com"
    )


def test_pseudonym_differs_across_ifis() -> None:
    assert learner_pseudonym(SECRET, ADA) != learner_pseudonym(SECRET, BOB)


def test_pseudonym_differs_across_tenants_secrets() -> None:
    assert learner_pseudonym(SECRET, ADA) != learner_pseudonym(b"t" * 32, ADA)


def test_pseudonym_does_not_contain_the_ifi() -> None:
    assert "ada" not in learner_pseudonym(SECRET, ADA)


def test_a_tenants_pseudonymiser_keys_the_ifi_under_its_tenants_secret() -> None:
    """The learner id of the indicators and the view's index names: keyed, so that knowing an
    e-mail address is not enough to find a learner under it (docs/privacy.md)."""
    pseudonymise = pseudonymiser("deployment key", TENANT)
    assert (
        tenant_secret("deployment key", TENANT)
        == hmac.new(b"deployment key", b"acme", hashlib.sha256).digest()
    )
    assert pseudonymise(ADA) == learner_pseudonym(tenant_secret("deployment key", TENANT), ADA)
    assert pseudonymise(ADA) == "72a0f631fa1328eb904174e05ff84243"
    assert pseudonymise(ADA) != hashlib.sha256(ADA.encode()).hexdigest()[:32]
    assert pseudonymiser("deployment key", "globex")(ADA) != pseudonymise(ADA)
    assert pseudonymiser("another key", TENANT)(ADA) != pseudonymise(ADA)


# --- Tenants' key-encryption keys ----------------------------------------------------------------


def test_tenant_key_is_the_pinned_hkdf_of_the_master_secret() -> None:
    assert tenant_key("master", TENANT).hex() == (
        "3cf5428fe6b4ffddd9cd8ac6dc2dd421d7fae8e0f0671fdd9fef10facdbe6aff"
    )


def test_tenant_key_is_32_bytes() -> None:
    assert len(tenant_key("master", TENANT)) == KEY_BYTES == 32


def test_tenant_key_differs_per_tenant() -> None:
    assert tenant_key("master", TENANT) != tenant_key("master", "globex")


def test_tenant_key_differs_per_master_secret() -> None:
    assert tenant_key("master", TENANT) != tenant_key("other master", TENANT)


# --- New data keys -------------------------------------------------------------------------------


def test_new_data_key_is_random_256_bits_under_a_fresh_id_of_16_hex_digits() -> None:
    first, second = DataKey.new("p" * 32), DataKey.new("p" * 32)

    assert first.ref.pseudonym == second.ref.pseudonym == "p" * 32
    assert re.fullmatch(r"[0-9a-f]{16}", first.ref.key_id)
    assert len(first.secret) == len(second.secret) == KEY_BYTES
    assert first.ref.key_id != second.ref.key_id
    assert first.secret != second.secret


# --- Wrapping ------------------------------------------------------------------------------------


def test_wrapped_key_unwraps_to_the_same_key() -> None:
    key = _key()

    record = MASTERS.wrap(TENANT, key)

    assert MASTERS.unwrap(TENANT, key.ref, record) == key


def test_wrapped_key_survives_its_json_record() -> None:
    key = _key()
    record = WrappedKey.model_validate_json(MASTERS.wrap(TENANT, key).model_dump_json())

    assert MASTERS.unwrap(TENANT, key.ref, record) == key


def test_wrapped_key_names_its_master_and_holds_nonce_ciphertext_and_tag() -> None:
    key = _key()

    record = MASTERS.wrap(TENANT, key)

    assert record.master == "m1"
    raw = base64.b64decode(record.wrapped, validate=True)
    assert len(raw) == NONCE_BYTES + KEY_BYTES + GCM_TAG_BYTES
    assert key.secret not in raw


def test_each_wrap_uses_a_fresh_nonce() -> None:
    key = _key()

    assert MASTERS.wrap(TENANT, key).wrapped != MASTERS.wrap(TENANT, key).wrapped


def test_unwrap_refuses_a_key_wrapped_by_an_unknown_master() -> None:
    key = _key()
    record = MasterKeys("gone", {"gone": "retired secret"}).wrap(TENANT, key)

    with pytest.raises(KeyUnreadable, match="wrapped by master key 'gone', not in the settings"):
        MASTERS.unwrap(TENANT, key.ref, record)


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(0, id="nonce"),
        pytest.param(NONCE_BYTES, id="ciphertext"),
        pytest.param(-1, id="tag"),
    ],
)
def test_unwrap_refuses_altered_bytes(at: int) -> None:
    key = _key()
    record = _altered(MASTERS.wrap(TENANT, key), at)

    with pytest.raises(KeyUnreadable, match="does not unwrap: InvalidTag"):
        MASTERS.unwrap(TENANT, key.ref, record)


def test_unwrap_refuses_a_record_moved_to_another_tenant() -> None:
    key = _key()
    record = MASTERS.wrap(TENANT, key)

    with pytest.raises(KeyUnreadable, match="does not unwrap: InvalidTag"):
        MASTERS.unwrap("globex", key.ref, record)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(KeyRef("f" * 32, "00112233aabbccdd"), id="another_learner"),
        pytest.param(
            KeyRef("0123456789abcdef0123456789abcdef", "ffffffffffffffff"), id="another_id"
        ),
    ],
)
def test_unwrap_refuses_a_record_moved_to_another_key_ref(other: KeyRef) -> None:
    key = _key()
    record = MASTERS.wrap(TENANT, key)

    with pytest.raises(KeyUnreadable, match="does not unwrap: InvalidTag"):
        MASTERS.unwrap(TENANT, other, record)


@pytest.mark.parametrize(
    "wrapped",
    [
        pytest.param("not base64!", id="not_base64"),
        pytest.param("QUJD\nREVG", id="newline_inside"),
        pytest.param("é", id="not_ascii"),
        pytest.param("", id="empty"),
        pytest.param(base64.b64encode(b"short").decode(), id="shorter_than_a_nonce"),
    ],
)
def test_unwrap_refuses_what_is_not_a_wrapped_key(wrapped: str) -> None:
    with pytest.raises(KeyUnreadable, match=r"^does not unwrap: \w+$"):
        MASTERS.unwrap(TENANT, _key().ref, WrappedKey(master="m1", wrapped=wrapped))


def test_unwrap_refuses_a_key_of_the_wrong_length() -> None:
    short = DataKey(_key().ref, b"k" * 16)
    record = MASTERS.wrap(TENANT, short)

    with pytest.raises(KeyUnreadable, match="unwraps to 16 bytes, not 32"):
        MASTERS.unwrap(TENANT, short.ref, record)


def test_wrapped_key_record_refuses_extra_fields() -> None:
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        WrappedKey.model_validate({"master": "m1", "wrapped": "", "secret": "x"})


# --- Rotation ------------------------------------------------------------------------------------


def test_rotated_masters_still_unwrap_keys_wrapped_by_the_old_one() -> None:
    key = _key()
    old_record = MasterKeys("old", {"old": "old secret"}).wrap(TENANT, key)
    rotated = MasterKeys(newest="new", secrets={"new": "new secret", "old": "old secret"})

    assert rotated.unwrap(TENANT, key.ref, old_record) == key


def test_rotated_masters_wrap_new_keys_with_the_newest() -> None:
    key = _key()
    rotated = MasterKeys(newest="new", secrets={"new": "new secret", "old": "old secret"})

    record = rotated.wrap(TENANT, key)

    assert record.master == "new"
    assert MasterKeys("new", {"new": "new secret"}).unwrap(TENANT, key.ref, record) == key
    with pytest.raises(KeyUnreadable, match="master key 'new'"):
        MasterKeys("old", {"old": "old secret"}).unwrap(TENANT, key.ref, record)


def test_the_same_master_id_with_another_secret_does_not_unwrap() -> None:
    key = _key()
    record = MASTERS.wrap(TENANT, key)

    with pytest.raises(KeyUnreadable, match="does not unwrap: InvalidTag"):
        MasterKeys("m1", {"m1": "another secret"}).unwrap(TENANT, key.ref, record)


# --- Record keys ---------------------------------------------------------------------------------


def test_record_key_is_tenant_pseudonym_and_key_id() -> None:
    assert record_key(TENANT, KeyRef("p" * 32, "k" * 16)) == f"acme|{'p' * 32}|{'k' * 16}".encode()


def test_record_key_parses_back_to_its_tenant_and_ref() -> None:
    ref = DataKey.new(learner_pseudonym(SECRET, ADA)).ref

    assert parse_record_key(record_key(TENANT, ref)) == (TENANT, ref)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"acme", id="tenant_only"),
        pytest.param(b"acme|p", id="two_parts"),
        pytest.param(b"acme|p|k|x", id="four_parts"),
        pytest.param(b"|p|k", id="no_tenant"),
        pytest.param(b"acme||k", id="no_pseudonym"),
        pytest.param(b"acme|p|", id="no_key_id"),
        pytest.param(b"||", id="all_empty"),
        pytest.param(b"acme|\xff|k", id="not_utf8"),
    ],
)
def test_parse_record_key_refuses_other_shapes(key: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the contract is only "a ValueError"
        parse_record_key(key)
