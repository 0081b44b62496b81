"""Custom JSON or CSV records to xAPI, through a declarative YAML mapping.

A mapping file describes the statement to build; its leaves are constants or fields of the
record. It is data, never code: YAML is read by the safe loader with aliases refused (no "billion
laughs"), and a field can only be looked up, mapped through a table, typed, parsed as a date or
a duration, and prefixed. docs/process.md, "Custom mappings", documents the format::

    input: csv
    statement:
      actor:
        mbox: {$path: email, $prefix: "mailto:"}
      verb:
        id: {$path: action, $map: {view: "http://id.tincanapi.com/verb/viewed"}}
      object: {id: {$path: course, $prefix: "https://lms.example.com/courses/"}}
      timestamp: {$path: date, $date: "%d/%m/%Y %H:%M", $timezone: Europe/Paris}
"""

import csv
import io
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

from learning_record.domain.errors import first_validation_message
from learning_record.domain.process import mapping_values
from learning_record.domain.process.conversion import Converted, Produced
from learning_record.domain.process.errors import ConversionFailed, InputTooLarge, MappingInvalid
from learning_record.domain.process.limits import MAX_STATEMENTS, MAX_TEXT, check_bounds
from learning_record.domain.process.paths import Segment, parse_path, values_at

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)


class FieldSource(BaseModel):
    """A leaf read from the record: ``{$path: …}`` and the transformations to apply, in order:
    ``$map``, ``$type``, ``$date`` or ``$duration``, ``$prefix``."""

    model_config = _STRICT

    path: str = Field(alias="$path")
    default: JsonValue = Field(None, alias="$default")
    map: dict[str, JsonValue] | None = Field(None, alias="$map")
    type: mapping_values.ValueType | None = Field(None, alias="$type")
    date: str | None = Field(None, alias="$date")
    timezone: str | None = Field(None, alias="$timezone")
    duration: mapping_values.DurationUnit | None = Field(None, alias="$duration")
    prefix: str | None = Field(None, alias="$prefix")

    @model_validator(mode="after")
    def _one_parser(self) -> "FieldSource":
        if self.date is not None and self.duration is not None:
            raise ValueError("a field is parsed as a $date or a $duration, not both")
        return self


class MappingFile(BaseModel):
    """The top of a mapping file."""

    model_config = _STRICT

    input: Literal["json", "csv"]
    delimiter: str = Field(",", min_length=1, max_length=1)
    # For JSON: where the records are, when the document is not a record or an array of them.
    records: str | None = None
    statement: dict[str, JsonValue]


# --- The compiled statement template ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Missing:
    """A field absent from the record: its property is left out of the statement."""


MISSING = _Missing()


@dataclass(frozen=True, slots=True)
class Constant:
    value: JsonValue


@dataclass(frozen=True, slots=True)
class FieldNode:
    source: FieldSource
    segments: tuple[Segment, ...]
    zone: ZoneInfo | None


@dataclass(frozen=True, slots=True)
class ObjectNode:
    properties: dict[str, "Node"]


@dataclass(frozen=True, slots=True)
class ListNode:
    items: tuple["Node", ...]


Node = Constant | FieldNode | ObjectNode | ListNode


@dataclass(frozen=True, slots=True)
class RecordMapping:
    """A mapping file, checked and compiled: ``load_mapping`` makes one."""

    input: Literal["json", "csv"]
    delimiter: str
    records: tuple[Segment, ...] | None
    statement: ObjectNode


def load_mapping(text: str) -> RecordMapping:
    """Read a YAML mapping file; ``MappingInvalid`` saying where it is wrong."""
    if len(text) > MAX_TEXT:
        raise MappingInvalid("", f"a mapping file is at most {MAX_TEXT} characters")
    try:
        document = yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as error:
        raise MappingInvalid("", f"not YAML: {error}") from None
    return mapping_from_document(document)


def mapping_from_document(document: object) -> RecordMapping:
    """``load_mapping`` for a mapping already decoded from YAML or JSON."""
    try:
        check_bounds(document)
    except InputTooLarge as error:
        raise MappingInvalid("", str(error)) from None
    try:
        top = MappingFile.model_validate(document)
    except ValidationError as error:
        raise MappingInvalid("", first_validation_message(error)) from None
    records = _path(top.records, "records") if top.records is not None else None
    return RecordMapping(top.input, top.delimiter, records, _object(top.statement, "statement"))


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader (plain data only), refusing aliases: an alias can make a small file
    expand into an exponentially large document."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise MappingInvalid("", "aliases (*name) are not allowed in a mapping")
        return super().compose_node(parent, index)


def _compiled(value: JsonValue, where: str) -> Node:
    if isinstance(value, dict):
        if "$const" in value:
            if len(value) != 1:
                raise MappingInvalid(where, "$const stands alone in its object")
            return Constant(value["$const"])
        if any(key.startswith("$") for key in value):
            return _field(value, where)
        return _object(value, where)
    if isinstance(value, list):
        return ListNode(tuple(_compiled(item, f"{where}[{i}]") for i, item in enumerate(value)))
    return Constant(value)


def _object(value: dict[str, JsonValue], where: str) -> ObjectNode:
    return ObjectNode({key: _compiled(item, f"{where}.{key}") for key, item in value.items()})


def _field(value: dict[str, JsonValue], where: str) -> FieldNode:
    try:
        source = FieldSource.model_validate(value)
    except ValidationError as error:
        raise MappingInvalid(where, first_validation_message(error)) from None
    zone = None
    if source.timezone is not None:
        try:
            zone = ZoneInfo(source.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingInvalid(f"{where}.$timezone", "not an IANA time zone name") from None
    return FieldNode(source, _path(source.path, f"{where}.$path"), zone)


def _path(text: str, where: str) -> tuple[Segment, ...]:
    try:
        return parse_path(text)
    except ValueError as error:
        raise MappingInvalid(where, str(error)) from None


# --- Applying a mapping -------------------------------------------------------------------------

NAME = "custom"
_NOT_CSV = "the mapping reads CSV, and this is not text"


def rejection(data: object, mapping: RecordMapping | None) -> str | None:
    """Why ``data`` cannot be read with ``mapping``; None when it can."""
    if mapping is None:
        return "no mapping was given (custom records are read through one)"
    if mapping.input == "csv":
        return None if isinstance(data, str) else _NOT_CSV
    records = _json_records(data, mapping)
    if records is None or not all(isinstance(record, dict) for record in records):
        return "the mapping reads JSON records, and these are not objects"
    return None


def convert(data: object, mapping: RecordMapping) -> Converted:
    if mapping.input == "csv":
        if not isinstance(data, str):
            raise ConversionFailed(NAME, "", _NOT_CSV)
        return Converted(_produced(_csv_records(data, mapping.delimiter), mapping), "csv", True)
    records = _json_records(data, mapping) or []
    single = isinstance(data, dict) and mapping.records is None
    return Converted(_produced(records, mapping), "json", collection=not single)


def _json_records(data: object, mapping: RecordMapping) -> list[Any] | None:
    if mapping.records is not None:
        found = values_at(data, mapping.records)
        data = found[0] if found else None
    if isinstance(data, dict):
        return [data]
    return data if isinstance(data, list) and data else None


def _csv_records(text: str, delimiter: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for row in csv.DictReader(io.StringIO(text), delimiter=delimiter):
        if len(rows) == MAX_STATEMENTS:
            raise InputTooLarge(f"more than {MAX_STATEMENTS} CSV records in one item")
        rows.append(row)
    if not rows:
        raise ConversionFailed(NAME, "", "the CSV text has a header but no record")
    return rows


def _produced(records: list[Any], mapping: RecordMapping) -> list[Produced]:
    produced = []
    for index, record in enumerate(records):
        statement = _applied(mapping.statement, record, f"[{index}]")
        if statement is MISSING:
            raise ConversionFailed(NAME, f"[{index}]", "the mapping found none of its fields")
        produced.append(Produced(statement, f"[{index}]"))
    return produced


def _applied(node: Node, record: Any, where: str) -> Any:
    if isinstance(node, Constant):
        return node.value
    if isinstance(node, FieldNode):
        return _field_value(node, record, where)
    if isinstance(node, ListNode):
        items = [_applied(item, record, where) for item in node.items]
        kept = [item for item in items if item is not MISSING]
        return kept or MISSING
    properties = {key: _applied(child, record, where) for key, child in node.properties.items()}
    kept_properties = {key: value for key, value in properties.items() if value is not MISSING}
    return kept_properties or MISSING


def _field_value(node: FieldNode, record: Any, where: str) -> Any:
    source = node.source
    found = [value for value in values_at(record, node.segments) if value not in (None, "")]
    if not found:
        return MISSING if source.default is None else source.default
    value: Any = found if len(found) > 1 else found[0]
    at = f"{where}.{source.path}"
    try:
        if source.map is not None:
            value = mapping_values.mapped(value, source.map)
        if source.type is not None:
            value = mapping_values.typed(value, source.type)
        if source.date is not None:
            value = mapping_values.timestamp(value, source.date, node.zone)
        if source.duration is not None:
            value = mapping_values.duration(value, source.duration)
    except KeyError:
        raise ConversionFailed(NAME, at, f"{value!r} is not in the field's $map") from None
    except ValueError as error:
        raise ConversionFailed(NAME, at, str(error)) from None
    return value if source.prefix is None else f"{source.prefix}{value}"
