"""Turning an input record into normalised statements."""

from __future__ import annotations

import orjson
import pytest

from learning_domain import ingest
from learning_domain.errors import StatementInvalid

STATEMENT = {
    "actor": {"mbox": "mailto:ada@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://example.org/a"},
}


def decode(value: bytes, *, from_api: bool = False, offset: int = 7) -> list[object]:
    statements = ingest.decode_record(
        value,
        tenant="acme",
        from_api=from_api,
        partition=1,
        offset=offset,
        timestamp_ms=1_700_000_000_123,
    )
    return [s.to_document() for s in statements]


def test_direct_records_get_ids_from_their_position_so_redelivery_repeats_them() -> None:
    value = orjson.dumps([STATEMENT, STATEMENT])
    first, second = decode(value)
    assert decode(value) == [first, second]
    assert first["id"] != second["id"]  # type: ignore[index]
    assert decode(value, offset=8)[0]["id"] != first["id"]  # type: ignore[index]


def test_direct_records_are_stored_at_the_kafka_timestamp_with_the_kafka_authority() -> None:
    (document,) = decode(orjson.dumps(STATEMENT))
    assert document["stored"] == "2023-11-14T22:13:20.123Z"  # type: ignore[index]
    assert document["authority"] == ingest.kafka_authority("acme")  # type: ignore[index]


def test_api_records_keep_the_properties_the_api_set() -> None:
    sent = STATEMENT | {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "stored": "2026-01-01T00:00:00.000Z",
    }
    (document,) = decode(orjson.dumps(sent), from_api=True)
    assert document["id"] == sent["id"]  # type: ignore[index]
    assert document["stored"] == sent["stored"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "reason"),
    [(b"", "empty record"), (b"{nope", "invalid JSON"), (b"[]", "non-empty array")],
    ids=["empty", "not_json", "empty_batch"],
)
def test_undecodable_records_are_refused_with_a_reason(value: bytes, reason: str) -> None:
    with pytest.raises(StatementInvalid, match=reason):
        decode(value)
