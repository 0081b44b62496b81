"""One record of the raw input topic, converted: the headers that say how, and the statements it
gives, one record per learner for the statements topic (docs/process.md, "The raw stream").

The conversion is ``process``, exactly as POST /process runs it. Whatever goes wrong is a
``RawRecordRefused`` with the reason and the input formats tried, for the dead letter.
"""

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from learning_record.domain.errors import InvalidTenant, UnidentifiedActor
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.ingest import TENANT_HEADER, header_text, record_tenant
from learning_record.domain.json_input import JsonRejected, loads_bounded
from learning_record.domain.process.errors import (
    ConversionFailed,
    InputTooLarge,
    ProcessingError,
    UndetectableInput,
)
from learning_record.domain.process.formats import InputFormat
from learning_record.domain.process.mapping import NAME as CUSTOM
from learning_record.domain.process.mapping import RecordMapping
from learning_record.domain.process.pipeline import process
from learning_record.domain.process.privacy import PrivacyMode

INPUT_FORMAT_HEADER = "lr-input-format"
PRIVACY_HEADER = "lr-privacy"
MAPPING_HEADER = "lr-mapping"
# A mapping is named, never given as a path: the name is a file name in the mappings folder.
MAPPING_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

# Statements converted without an id get one from the raw record's position, so that a record
# read twice (Faust delivers at least once) gives the same statements, which are stored once.
_RAW_ID_NAMESPACE = uuid.UUID("9b7a4c1e-3d52-4f0b-8a6e-2c4d5f7e9a10")

_HEADER_OF_FIELD = {
    "tenant": TENANT_HEADER,
    "input_format": INPUT_FORMAT_HEADER,
    "privacy": PRIVACY_HEADER,
    "mapping": MAPPING_HEADER,
}


class RawRecordRefused(ProcessingError):
    """A raw record that cannot become statements; ``input_formats`` are the formats tried."""

    def __init__(self, reason: str, input_formats: tuple[str, ...] = ()) -> None:
        self.reason = reason
        self.input_formats = input_formats
        super().__init__(reason)

    def __reduce__(self) -> tuple[type["RawRecordRefused"], tuple[str, tuple[str, ...]]]:
        return (type(self), (self.reason, self.input_formats))


class RawOptions(BaseModel):
    """What a raw record's headers ask: whose it is, what it is, how to protect it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str  # checked by record_tenant: the one tenant rule
    input_format: InputFormat | None = None
    privacy: PrivacyMode = PrivacyMode.PSEUDONYMISE
    mapping: str | None = Field(default=None, pattern=MAPPING_NAME.pattern)


def raw_options(
    headers: Mapping[str, bytes],
    default_tenant: str,
    tenant_privacy: Mapping[str, str] | None = None,
) -> RawOptions:
    """The options of a record; ``RawRecordRefused`` naming the header that is wrong.

    Without ``lr-tenant``, the record is the default tenant's, as on the statements topic;
    without ``lr-privacy``, its tenant's mode (``tenant_privacy``), else pseudonymised.
    """
    try:
        tenant = record_tenant(headers, default_tenant)
    except InvalidTenant as error:
        raise RawRecordRefused(f"header {TENANT_HEADER}: {error}") from None
    asked = {
        "tenant": tenant,
        "input_format": header_text(headers, INPUT_FORMAT_HEADER),
        "privacy": header_text(headers, PRIVACY_HEADER)
        or (tenant_privacy or {}).get(tenant, PrivacyMode.PSEUDONYMISE),
        "mapping": header_text(headers, MAPPING_HEADER),
    }
    try:
        return RawOptions.model_validate(asked)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        header = _HEADER_OF_FIELD[str(first["loc"][0])]
        raise RawRecordRefused(f"header {header}: {first['msg']}") from None


@dataclass(frozen=True, slots=True)
class LearnerRecord:
    """A record for the statements topic: one learner's statements from one raw record.

    ``key`` is ``<tenant>|<learner IFI>`` (the IFI pseudonymised or anonymised), so that a
    learner's statements keep their order on one partition; ``value`` is their JSON array,
    which the raw agent seals before it goes on (docs/privacy.md).
    """

    key: bytes
    value: bytes


def normalised(
    value: bytes,
    options: RawOptions,
    *,
    mapping: RecordMapping | None,
    tenant_secret: bytes,
    position: tuple[int, int],
) -> list[LearnerRecord]:
    """The statements of the raw record at ``position`` (partition, offset), by learner.

    Raises ``RawRecordRefused``: not JSON (nor text, for a CSV mapping), undetectable, not
    convertible, past a bound of the conversion.
    """
    tried = (options.input_format,) if options.input_format else ()
    data = _decoded(value, mapping)
    try:
        result = process(
            data,
            input_format=options.input_format,
            mode=options.privacy,
            tenant_secret=tenant_secret,
            mapping=mapping,
        )
    except UndetectableInput as error:
        raise RawRecordRefused(
            str(error), tuple(r.input_format for r in error.rejections)
        ) from None
    except ConversionFailed as error:
        raise RawRecordRefused(str(error), (error.input_format,)) from None
    except InputTooLarge as error:
        raise RawRecordRefused(str(error), tried) from None
    partition, offset = position
    by_learner: dict[bytes, list[dict[str, Any]]] = {}
    for index, statement in enumerate(result.statements):
        if "id" not in statement:
            name = f"{options.tenant}/{partition}/{offset}/{index}"
            statement["id"] = str(uuid.uuid5(_RAW_ID_NAMESPACE, name))
        key = f"{options.tenant}|{_learner(statement)}".encode()
        by_learner.setdefault(key, []).append(statement)
    return [LearnerRecord(key, orjson.dumps(group)) for key, group in by_learner.items()]


def _decoded(value: bytes, mapping: RecordMapping | None) -> object:
    """The input of ``process``: text for a CSV mapping, decoded JSON for everything else."""
    if mapping is not None and mapping.input == "csv":
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RawRecordRefused(f"the CSV text is not UTF-8: {error}", (CUSTOM,)) from None
    if not value:
        raise RawRecordRefused("empty record")
    try:
        return loads_bounded(value)
    except JsonRejected as error:
        raise RawRecordRefused(str(error)) from None


def _learner(statement: dict[str, Any]) -> str:
    try:
        return ifi_of_raw(statement["actor"])
    except UnidentifiedActor:
        return ""  # an anonymous Group: no learner whose statements to keep together
