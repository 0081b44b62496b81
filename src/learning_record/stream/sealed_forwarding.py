"""Statements that reached the worker in clear (direct producers, converted raw records) go on
to the statements topic sealed, with their tenant: the statement agent then opens and validates
them as any direct record. The input record's timestamp goes with them, so that a record read
twice gives the same stored time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from learning_record.domain import ingest
from learning_record.domain.errors import StatementInvalid
from learning_record.domain.sealing import SEALED_HEADER
from learning_record.platform.topics import MAX_RECORD_BYTES
from learning_record.store.sealed_records import SEALED, sealed_record
from learning_record.stream.learner_keys import learner_keys, with_keys
from learning_record.stream.topics import statements_topic


async def sealed_value(
    tenant: str, documents: Sequence[Mapping[str, Any]], *, anonymised: bool = False
) -> bytes:
    """The sealed record of ``documents`` (``sealed_records.sealed_record``); one larger than
    the statements topic takes is refused (``StatementInvalid``), as is an actor without IFI:
    sealing makes a record larger, most of all one with many people in it."""
    value = await with_keys(
        partial(sealed_record, learner_keys, tenant, documents, anonymised=anonymised), "seal"
    )
    if len(value) > MAX_RECORD_BYTES:
        raise StatementInvalid("", f"{len(value)} bytes once sealed, over {MAX_RECORD_BYTES}")
    return value


async def forward(tenant: str, value: bytes, key: bytes | None, timestamp_s: float) -> None:
    await statements_topic.send(
        key=key,
        value=value,
        headers={ingest.TENANT_HEADER: tenant.encode(), SEALED_HEADER: SEALED},
        timestamp=timestamp_s,
    )
