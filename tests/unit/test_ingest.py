"""Turning an input record into normalised statements."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from learning_record.domain import ingest
from learning_record.domain.errors import InvalidTenant, StatementInvalid
from learning_record.domain.statement_index import content_digest
from learning_record.domain.xapi.nesting import MAX_NESTING

STATEMENT = {
    "actor": {"mbox": "mailto:ada@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://example.org/a"},
}


KEY = b"test-signing-key"


def decode(
    value: bytes,
    *,
    trusted: bool = False,
    offset: int = 7,
    timestamp_ms: int = 1_700_000_000_123,
    max_direct_bytes: int = 1024 * 1024,
) -> list[dict[str, Any]]:
    """The steps of ``sealed_records.decoded_record`` for a record in clear."""
    ingest.check_size(value, trusted=trusted, max_direct_bytes=max_direct_bytes)
    return ingest.stored_documents(
        ingest.loads_record(value),
        tenant="acme",
        trusted=trusted,
        partition=1,
        offset=offset,
        timestamp_ms=timestamp_ms,
    )


def test_direct_records_get_ids_from_their_position_so_redelivery_repeats_them() -> None:
    value = orjson.dumps([STATEMENT, STATEMENT])
    first, second = decode(value)
    assert decode(value) == [first, second]
    assert first["id"] != second["id"]
    assert decode(value, offset=8)[0]["id"] != first["id"]


def test_direct_records_are_stored_at_the_kafka_timestamp_with_the_kafka_authority() -> None:
    (document,) = decode(orjson.dumps(STATEMENT))
    assert document["stored"] == "2023-11-14T22:13:20.123Z"
    assert document["authority"] == ingest.kafka_authority("acme")


def test_api_records_keep_the_properties_the_api_set() -> None:
    sent = STATEMENT | {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "stored": "2026-01-01T00:00:00.000Z",
        "timestamp": "2025-12-31T23:00:00.000Z",
    }
    (document,) = decode(orjson.dumps(sent), trusted=True)
    assert document == sent  # not validated again: as the API wrote it


def test_a_statement_without_timestamp_gets_its_stored_time_data_2_4_7_s3_b2() -> None:
    signed_before_timestamps = STATEMENT | {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "stored": "2026-01-01T00:00:00.000Z",
    }
    (direct,) = decode(orjson.dumps(STATEMENT))
    (signed,) = decode(orjson.dumps(signed_before_timestamps), trusted=True)

    assert direct["timestamp"] == direct["stored"] == "2023-11-14T22:13:20.123Z"
    assert signed["timestamp"] == "2026-01-01T00:00:00.000Z"
    assert content_digest(signed) == content_digest(signed_before_timestamps)


@pytest.mark.parametrize("missing", ["id", "stored", "actor", "verb", "object"])
def test_a_signed_record_without_what_the_api_sets_is_refused(missing: str) -> None:
    sent = STATEMENT | {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "stored": "2026-01-01T00:00:00.000Z",
    }
    del sent[missing]
    with pytest.raises(StatementInvalid, match=f"\\[0\\].{missing}: missing from a signed"):
        decode(orjson.dumps([sent]), trusted=True)


def test_only_the_apis_signature_of_tenant_and_value_makes_a_record_trusted() -> None:
    value = orjson.dumps(STATEMENT)
    signed = {
        ingest.SOURCE_HEADER: ingest.SOURCE_API,
        ingest.SIGNATURE_HEADER: ingest.signature(KEY, "acme", value),
    }
    assert ingest.signed_by_api(KEY, signed, "acme", value)
    assert not ingest.signed_by_api(KEY, signed, "other", value)  # another tenant's header
    assert not ingest.signed_by_api(KEY, signed, "acme", value + b" ")  # another value
    assert not ingest.signed_by_api(b"another key", signed, "acme", value)
    assert not ingest.signed_by_api(KEY, {ingest.SOURCE_HEADER: ingest.SOURCE_API}, "acme", value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [(b"", "empty record"), (b"{nope", "invalid JSON"), (b"[]", "non-empty array")],
    ids=["empty", "not_json", "empty_batch"],
)
def test_undecodable_records_are_refused_with_a_reason(value: bytes, reason: str) -> None:
    with pytest.raises(StatementInvalid, match=reason):
        decode(value)


def test_a_direct_record_over_the_size_limit_is_refused_before_it_is_parsed() -> None:
    value = orjson.dumps(STATEMENT)
    assert decode(value, max_direct_bytes=len(value))
    with pytest.raises(StatementInvalid) as refused:
        decode(value, max_direct_bytes=len(value) - 1)
    assert str(refused.value) == (
        f"record of {len(value)} bytes is over the {len(value) - 1}-byte limit"
    )


def test_the_size_limit_leaves_records_the_api_signed_alone() -> None:
    sent = STATEMENT | {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "stored": "2026-01-01T00:00:00.000Z",
    }
    (document,) = decode(orjson.dumps(sent), trusted=True, max_direct_bytes=1024)
    assert document == sent | {"timestamp": sent["stored"]}  # Data 2.4.7.s3.b2


def test_a_statement_nested_deeper_than_the_limit_is_refused_with_its_path() -> None:
    deep = STATEMENT | {"result": {"extensions": {"https://example.org/x": "here"}}}
    nested = b'{"a":' * 260 + b"1" + b"}" * 260  # deeper than orjson would write
    with pytest.raises(StatementInvalid) as refused:
        decode(orjson.dumps(deep).replace(b'"here"', nested))
    levels_below_extension = MAX_NESTING - 3  # statement, result, extensions
    assert refused.value.path == 'result.extensions["https://example.org/x"]' + ".a" * (
        levels_below_extension
    )
    assert refused.value.reason == f"nests deeper than {MAX_NESTING} levels"


def test_a_direct_record_whose_timestamp_is_not_a_time_is_refused() -> None:
    with pytest.raises(
        StatementInvalid, match="record timestamp 9223372036854775807 is not a time"
    ):
        decode(orjson.dumps(STATEMENT), timestamp_ms=2**63 - 1)


@pytest.mark.parametrize("header", [b"a|b", b"Acme", b"acme\n", b"{t:acme}", b"\xff"])
def test_a_tenant_header_that_is_not_a_tenant_name_is_refused(header: bytes) -> None:
    with pytest.raises(InvalidTenant, match="is not 1-63 lowercase letters"):
        ingest.record_tenant({ingest.TENANT_HEADER: header}, "default")
    assert ingest.claimed_tenant({ingest.TENANT_HEADER: header}, "default") == header.decode(
        "utf-8", "replace"
    )


def test_a_record_without_tenant_header_belongs_to_the_default_tenant() -> None:
    assert ingest.record_tenant({}, "default") == "default"
    assert ingest.record_tenant({ingest.TENANT_HEADER: b"acme-2_b"}, "default") == "acme-2_b"
