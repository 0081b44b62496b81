"""The keys topic as every API process reads it: one unreadable record is skipped, not fatal."""

from __future__ import annotations

import logging

import pytest
from aiokafka import ConsumerRecord

from learning_record.domain.access import ApiKeyRecord, Scope, mint_key
from learning_record.store.key_log import apply_records


def message(offset: int, value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="lr.keys",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value or b""),
        headers=(),
    )


async def test_unreadable_records_are_logged_and_skipped_and_the_others_applied(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = mint_key(tenant="acme", name="a", scopes=(Scope.ALL,)).record
    after = mint_key(tenant="acme", name="b", scopes=(Scope.ALL,)).record
    records = [
        message(0, before.model_dump_json().encode()),
        message(1, b"{not json"),
        message(2, b'{"key_id": "lrk_1", "tenant": "a|b"}'),
        message(3, None),  # a tombstone
        message(4, after.model_dump_json().encode()),
    ]
    applied: list[ApiKeyRecord] = []

    async def keep(record: ApiKeyRecord) -> None:
        applied.append(record)

    with caplog.at_level(logging.ERROR):
        await apply_records(records, keep)

    assert applied == [before, after]
    logged = [record.getMessage() for record in caplog.records]
    unreadable = [line for line in logged if "key_record_unreadable" in line]
    assert [line.split(" errors=")[0] for line in unreadable] == [
        "key_record_unreadable partition=0 offset=1",
        "key_record_unreadable partition=0 offset=2",
    ]
