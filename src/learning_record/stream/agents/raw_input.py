"""Convert the records of the raw input topic into statements for the statements topic, a batch
at a time (docs/process.md, "The raw stream").

Producers that cannot speak xAPI write Caliper, SCORM, xAPI or custom records there, with
``lr-tenant`` and, optionally, ``lr-input-format``, ``lr-privacy`` and ``lr-mapping``. Each
record is converted and protected by ``domain.process``, exactly as POST /process does it, and
its statements go on to the statements topic sealed with their learners' keys, one record per
learner keyed by learner, with the tenant: the statement agent then opens, validates and stores
them as any direct record.

Conversion is CPU work (about a quarter of a millisecond an event, at most 1,000 events and
``MAX_RAW_RECORD_BYTES`` a record), so a batch is converted in a worker thread, off the event
loop. Every per-record step runs inside the dead-letter path: a record that cannot be converted
goes to the dead-letter topic with its bytes, the formats tried and the reason, and its
neighbours go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from faust.types import EventT, StreamT

from learning_record.domain import ingest
from learning_record.domain.data_keys import tenant_secret
from learning_record.domain.errors import DomainError
from learning_record.domain.process.privacy import PrivacyMode
from learning_record.domain.process.raw_record import (
    LearnerRecord,
    RawRecordRefused,
    normalised,
    raw_options,
)
from learning_record.platform.topics import MAX_RAW_RECORD_BYTES
from learning_record.stream import dead_letters
from learning_record.stream.app import app, settings
from learning_record.stream.batching import batches
from learning_record.stream.mapping_folder import MappingFolder
from learning_record.stream.sealed_forwarding import forward, sealed_value
from learning_record.stream.topics import raw_statements_topic

log = logging.getLogger(__name__)

_PSEUDONYM_KEY = settings.process.pseudonym_key.get_secret_value()


@dataclass(frozen=True, slots=True)
class RawRecord:
    """What the conversion needs of an event, handed to the worker thread."""

    headers: dict[str, bytes]
    value: bytes
    partition: int
    offset: int

    @classmethod
    def of(cls, event: EventT[bytes]) -> RawRecord:
        message = event.message
        return cls(
            dict(event.headers or {}), message.value or b"", message.partition, message.offset
        )


@dataclass(frozen=True, slots=True)
class Converted:
    tenant: str
    records: list[LearnerRecord]
    anonymised: bool  # every person a random stand-in: one key for them all


@dataclass(frozen=True, slots=True)
class Refused:
    tenant: str
    reason: str
    input_formats: tuple[str, ...]


def convert(record: RawRecord, mappings: MappingFolder) -> Converted | Refused:
    """One record's statements by learner, or why it has none; never raises."""
    tenant = ingest.record_tenant(record.headers, settings.default_tenant)
    try:
        if len(record.value) > MAX_RAW_RECORD_BYTES:
            raise RawRecordRefused(f"a raw record is at most {MAX_RAW_RECORD_BYTES} bytes")
        options = raw_options(
            record.headers, settings.default_tenant, settings.process.tenant_privacy
        )
        mapping = mappings.mapping(options.mapping) if options.mapping else None
        records = normalised(
            record.value,
            options,
            mapping=mapping,
            tenant_secret=tenant_secret(_PSEUDONYM_KEY, options.tenant),
            position=(record.partition, record.offset),
        )
    except RawRecordRefused as error:
        return Refused(tenant, error.reason, error.input_formats)
    except Exception as error:  # any shape of record, or a bug: park it, never stop
        log.exception("raw_record_failed tenant=%s", tenant)
        return Refused(tenant, f"cannot be processed: {type(error).__name__}", ())
    return Converted(options.tenant, records, options.privacy is PrivacyMode.ANONYMISE)


def _converted(records: Sequence[RawRecord], mappings: MappingFolder) -> list[Converted | Refused]:
    return [convert(record, mappings) for record in records]


async def _forward(event: EventT[bytes], converted: Converted) -> None:
    """Each learner's statements, sealed, to the statements topic: all of them, or (when one
    cannot be sealed) none, with the record parked."""
    try:
        values = [
            await sealed_value(
                converted.tenant, orjson.loads(record.value), anonymised=converted.anonymised
            )
            for record in converted.records
        ]
    except DomainError as error:
        await dead_letters.park(event, converted.tenant, str(error))
        return
    for record, value in zip(converted.records, values, strict=True):
        await forward(converted.tenant, value, record.key, event.message.timestamp)


@app.agent(raw_statements_topic)
async def normalise_raw(stream: StreamT[bytes]) -> None:
    mappings = MappingFolder(settings.process.mappings_dir)
    async for events in batches(stream):
        records = [RawRecord.of(event) for event in events]
        outcomes = await asyncio.to_thread(_converted, records, mappings)
        for event, outcome in zip(events, outcomes, strict=True):
            if isinstance(outcome, Refused):
                await dead_letters.park(
                    event, outcome.tenant, outcome.reason, input_formats=outcome.input_formats
                )
            else:
                await _forward(event, outcome)
