"""How statements travel on the input topic, and how a record becomes stored statements.

A record's value is one statement or a JSON array of them: the API writes each accepted batch
as one record, so a batch is stored all or nothing. Headers carry the tenant and, for records
written by the API, a signature proving that the API validated them and set ``id``, ``stored``
and ``authority``: those are not validated again. Any other record is validated in full.

``record_tenant``, ``check_size``, ``loads_record`` and ``stored_documents`` are the steps of
the one decoder of input records (``store.sealed_records.decoded_record``, which opens sealed
records between them, for the worker and ``lr replay``): anything they cannot turn into
statements of a valid tenant raises a ``DomainError`` with the reason (``InvalidTenant``,
``StatementInvalid``), so that the caller parks the record in the dead-letter topic.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from learning_record.domain.errors import StatementInvalid
from learning_record.domain.json_input import JsonRejected, loads_bounded
from learning_record.domain.tenants import checked_tenant
from learning_record.domain.xapi.statements import parse_statements

TENANT_HEADER = "lr-tenant"
# Set by the API only: its statements already carry the LRS-set properties.
SOURCE_HEADER = "lr-source"
SOURCE_API = b"api"
SIGNATURE_HEADER = "lr-signature"
# "0" when the API key that stored the record lacks the define scope (xAPI Communication 4.2):
# its statements do not change the Persons and Activities. Absent (direct producers, who may
# write anything anyway, and records older than the header): they do.
DEFINE_HEADER = "lr-define"
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


def claimed_tenant(headers: Mapping[str, bytes], default_tenant: str) -> str:
    """The tenant a record names, unchecked: what its dead letter is filed under."""
    return header_text(headers, TENANT_HEADER) or default_tenant


def record_tenant(headers: Mapping[str, bytes], default_tenant: str) -> str:
    """The record's tenant; ``InvalidTenant`` when the header does not name a valid one."""
    return checked_tenant(claimed_tenant(headers, default_tenant))


def written_by_api(headers: Mapping[str, bytes]) -> bool:
    """Whether a record says it comes from the API (``signed_by_api`` proves it)."""
    return headers.get(SOURCE_HEADER) == SOURCE_API


def defines(headers: Mapping[str, bytes]) -> bool:
    """Whether a record's statements may define Agents and Activities (``DEFINE_HEADER``)."""
    return headers.get(DEFINE_HEADER) != b"0"


def signature(key: bytes, tenant: str, value: bytes) -> bytes:
    """The API's signature of a record: HMAC-SHA256 of the tenant and the value."""
    return hmac.new(key, tenant.encode() + b"\0" + value, hashlib.sha256).hexdigest().encode()


def signed_by_api(key: bytes, headers: Mapping[str, bytes], tenant: str, value: bytes) -> bool:
    """Whether the record carries the API's signature of its tenant and value."""
    claimed = headers.get(SIGNATURE_HEADER)
    return (
        written_by_api(headers)
        and claimed is not None
        and hmac.compare_digest(claimed, signature(key, tenant, value))
    )


def loads_record(value: bytes) -> Any:
    """A record's JSON value; ``StatementInvalid`` when it is not JSON we can keep exactly."""
    try:
        return loads_bounded(value)
    except JsonRejected as error:
        raise StatementInvalid("", str(error)) from error


def check_size(value: bytes | None, *, trusted: bool, max_direct_bytes: int) -> None:
    """Refuse an empty record, and an unsigned one over ``max_direct_bytes``."""
    if not value:
        raise StatementInvalid("", "empty record")
    if not trusted and len(value) > max_direct_bytes:
        raise StatementInvalid(
            "", f"record of {len(value)} bytes is over the {max_direct_bytes}-byte limit"
        )


def stored_documents(
    raw: Any, *, tenant: str, trusted: bool, partition: int, offset: int, timestamp_ms: int
) -> list[dict[str, Any]]:
    """The stored statement documents of one input record's JSON value (a sealed record's once
    opened); ``trusted`` when the API signed it. ``StatementInvalid`` with the reason for
    anything else: nested too deep, not valid xAPI, or (signed) without the properties the API
    sets."""
    if trusted:
        documents = raw if isinstance(raw, list) else [raw]
        for index, document in enumerate(documents):
            _check_stored(document, index)
        # Records signed before the API set timestamps are stamped as the API does now.
        return [with_default_timestamp(document) for document in documents]
    statements = parse_statements(raw)
    stored = _stored_at(timestamp_ms)
    authority = kafka_authority(tenant)
    return [
        with_default_timestamp(
            statement.with_lrs_fields(
                id=direct_id(tenant, partition, offset, index),
                stored=stored,
                authority=authority,
            ).to_document()
        )
        for index, statement in enumerate(statements)
    ]


def direct_id(tenant: str, partition: int, offset: int, index: int, topic: str = "") -> str:
    """The id of the ``index``-th statement of a direct record that has none: the same every
    time the record is read. ``topic`` names the direct input topic; the statements topic's
    ids leave it out, as they always have."""
    place = f"{topic}/" if topic else ""
    return str(uuid.uuid5(_DIRECT_ID_NAMESPACE, f"{place}{tenant}/{partition}/{offset}/{index}"))


def _stored_at(timestamp_ms: int) -> str:
    """The stored time of a direct record: its Kafka timestamp, which its producer chose."""
    try:
        return iso_millis(datetime.fromtimestamp(timestamp_ms / 1000, UTC))
    except (OverflowError, OSError, ValueError):
        raise StatementInvalid("", f"record timestamp {timestamp_ms} is not a time") from None


def with_default_timestamp(document: dict[str, Any]) -> dict[str, Any]:
    """Data 2.4.7.s3.b2: a statement stored without ``timestamp`` has its ``stored`` time as
    timestamp. Set once ``stored`` is final; the content digest leaves such a timestamp out
    (``statement_index.content_digest``), as the sender did not make it."""
    document.setdefault("timestamp", document["stored"])
    return document


_STORED_SHAPE = {"id": str, "stored": str, "actor": dict, "verb": dict, "object": dict}


def _check_stored(document: Any, index: int) -> None:
    """The shape the API gives every statement it signs; anything else is a bug or a forgery
    and must not reach the code that trusts it."""
    if not isinstance(document, dict):
        raise StatementInvalid(f"[{index}]", "a signed record holds statement objects")
    for name, kind in _STORED_SHAPE.items():
        if not isinstance(document.get(name), kind):
            raise StatementInvalid(f"[{index}].{name}", "missing from a signed record")
    if not isinstance(document["verb"].get("id"), str):
        raise StatementInvalid(f"[{index}].verb.id", "missing from a signed record")
