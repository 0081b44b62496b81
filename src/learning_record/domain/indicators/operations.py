"""Indicator operations: what they carry, and how they travel.

A counted statement produces one ``apply``; a voiding statement produces one ``retract`` of its
target. Whether they are produced at all is the routing rule's call (``routing``).

Operations travel in batches: one record per destination partition per input batch, its value a
JSON list of operation rows (``encode_operations``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.identity import ifi_properties
from learning_record.domain.indicators.contributions import Contribution, contribution_of
from learning_record.domain.indicators.state import Origin

Kind = Literal["apply", "retract"]


@dataclass(frozen=True, slots=True)
class IndicatorOp:
    """Count a statement (``apply``), or take back the one applied at ``applied_at``."""

    kind: Kind
    origin: Origin
    tenant: str
    contribution: Contribution
    applied_at: Origin | None = None  # retract only
    # Apply only: the learner's identifying properties, which the statement agent mirrors to
    # Redis itself. Never in a row: operations travel on Kafka, where an erased learner must
    # leave nothing readable.
    agent: Mapping[str, Any] | None = None

    def learner_key(self) -> str:
        """The routing key of the learner's partition: every value of a learner and of its
        pairs lives there."""
        return f"{self.tenant}|{self.contribution.learner}"

    def activity_key(self) -> str | None:
        activity = self.contribution.activity
        return None if activity is None else f"{self.tenant}|{activity}"

    def to_row(self) -> list[Any]:
        return [
            self.kind,
            list(self.origin),
            self.tenant,
            self.contribution.to_row(),
            list(self.applied_at) if self.applied_at is not None else None,
        ]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> IndicatorOp:
        kind, origin, tenant, contribution, applied_at = row
        if kind not in ("apply", "retract"):
            raise ValueError(f"unknown operation kind {kind!r}")
        if kind == "retract" and applied_at is None:
            raise ValueError("a retraction names the application it undoes")
        return cls(
            kind,
            (int(origin[0]), int(origin[1])),
            str(tenant),
            Contribution.from_row(contribution),
            (int(applied_at[0]), int(applied_at[1])) if applied_at is not None else None,
        )


@dataclass(frozen=True, slots=True)
class RoutedStatement:
    """A statement the routing rule applied, from ``applied_at`` (and to retract, from
    ``retracted_at``, when a void did): what a recount of extremes reads."""

    document: dict[str, Any]
    applied_at: Origin
    retracted_at: Origin | None


def encode_operations(operations: Sequence[IndicatorOp]) -> bytes:
    return orjson.dumps([operation.to_row() for operation in operations])


def encoded_records(
    operations: Sequence[IndicatorOp], most_operations: int, most_bytes: int
) -> Iterator[tuple[bytes, Sequence[IndicatorOp]]]:
    """``operations`` in order, as record values (``encode_operations``) with what each
    carries: at most ``most_operations`` and ``most_bytes`` each, but never fewer than one
    operation. An operation carries its activity's IRI, whose size only the input bounds, so a
    count alone could make a record larger than the topic takes."""
    rows: list[bytes] = []
    carried: list[IndicatorOp] = []
    size = 2  # the brackets
    for operation in operations:
        row = orjson.dumps(operation.to_row())
        if carried and (len(carried) == most_operations or size + len(row) + 1 > most_bytes):
            yield b"[" + b",".join(rows) + b"]", carried
            rows, carried, size = [], [], 2
        rows.append(row)
        carried.append(operation)
        size += len(row) + 1
    if carried:
        yield b"[" + b",".join(rows) + b"]", carried


def decode_operations(value: bytes) -> list[IndicatorOp]:
    return [IndicatorOp.from_row(row) for row in orjson.loads(value)]


def application(
    tenant: str, document: Mapping[str, Any], contribution: Contribution, origin: Origin
) -> IndicatorOp:
    """The operation that counts a statement the routing rule applied."""
    return IndicatorOp(
        "apply", origin, tenant, contribution, None, ifi_properties(document["actor"])
    )


def retraction(
    tenant: str,
    target_document: Mapping[str, Any],
    applied_at: Origin,
    origin: Origin,
    learner_id: Pseudonymise,
) -> IndicatorOp | None:
    """The operation that takes back a voided target, applied at ``applied_at``; None when the
    target never counted (an anonymous Group). ``learner_id``: the tenant's pseudonymiser."""
    contribution = contribution_of(target_document, learner_id)
    if contribution is None:
        return None
    return IndicatorOp("retract", origin, tenant, contribution, applied_at)
