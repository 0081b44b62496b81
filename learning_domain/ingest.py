"""How statements travel on the input topic, and how a record becomes normalised statements.

A record's value is one statement or a JSON array of them: the API writes each accepted batch
as one record, so a batch is stored all or nothing. Headers carry the tenant and, for records
written by the API, the proof that ``id``, ``stored`` and ``authority`` were already set.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from learning_domain.errors import StatementInvalid
from learning_domain.xapi.statements import Statement, parse_statements

TENANT_HEADER = "lr-tenant"
# Set by the API only: its statements already carry the LRS-set properties.
SOURCE_HEADER = "lr-source"
SOURCE_API = b"api"
DLQ_REASON_HEADER = "lr-dlq-reason"

# Direct producers may omit ids; a redelivered record must get the same ones again.
_DIRECT_ID_NAMESPACE = uuid.UUID("5b0d3b2e-8f1e-4a52-9d7e-3f8f6b9a1c01")


def kafka_authority(tenant: str) -> dict[str, Any]:
    """The authority of statements written straight to Kafka, where no credential is seen."""
    return {
        "objectType": "Agent",
        "account": {"homePage": "urn:learningrecord:kafka", "name": tenant},
    }


def iso_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def header_text(headers: Mapping[str, bytes], name: str) -> str | None:
    value = headers.get(name)
    return value.decode("utf-8", "replace") if value else None


def record_tenant(headers: Mapping[str, bytes], default_tenant: str) -> str:
    return header_text(headers, TENANT_HEADER) or default_tenant


def written_by_api(headers: Mapping[str, bytes]) -> bool:
    return headers.get(SOURCE_HEADER) == SOURCE_API


def decode_record(
    value: bytes | None,
    *,
    tenant: str,
    from_api: bool,
    partition: int,
    offset: int,
    timestamp_ms: int,
) -> list[Statement]:
    """Parse and normalise one input record; raises StatementInvalid with the reason."""
    if not value:
        raise StatementInvalid("", "empty record")
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        raise StatementInvalid("", f"invalid JSON: {error}") from error
    statements = parse_statements(raw)
    if from_api:
        return statements
    stored = iso_millis(datetime.fromtimestamp(timestamp_ms / 1000, UTC))
    authority = kafka_authority(tenant)
    return [
        statement.with_lrs_fields(
            id=str(uuid.uuid5(_DIRECT_ID_NAMESPACE, f"{tenant}/{partition}/{offset}/{index}")),
            stored=stored,
            authority=authority,
        )
        for index, statement in enumerate(statements)
    ]
