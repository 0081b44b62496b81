"""Statements that reached the worker in clear (direct producers, converted raw records) go on
to the statements topic sealed, with their tenant: the statement agent then opens and validates
them as any direct record. The input record's timestamp goes with them, so that a record read
twice gives the same stored time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from learning_record.domain import ingest
from learning_record.domain.sealing import SEALED_HEADER
from learning_record.store.sealed_records import SEALED, sealed_record
from learning_record.stream.learner_keys import learner_keys, with_keys
from learning_record.stream.topics import statements_topic


async def sealed_value(tenant: str, documents: Sequence[Mapping[str, Any]]) -> bytes:
    """The sealed record of ``documents`` (``StatementInvalid`` for an actor without IFI)."""
    return await with_keys(partial(sealed_record, learner_keys, tenant, documents), "seal")


async def forward(tenant: str, value: bytes, key: bytes | None, timestamp_s: float) -> None:
    await statements_topic.send(
        key=key,
        value=value,
        headers={ingest.TENANT_HEADER: tenant.encode(), SEALED_HEADER: SEALED},
        timestamp=timestamp_s,
    )
