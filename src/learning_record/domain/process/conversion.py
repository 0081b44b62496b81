"""What every input format's converter returns, and the helpers they share."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from learning_record.domain.process.errors import ConversionFailed

Document = dict[str, Any]

# Language tag of text whose language the source does not say (RFC 5646 "undetermined").
UNDETERMINED = "und"


@dataclass(frozen=True, slots=True)
class Produced:
    """One xAPI statement document, and the JSON path of the part of the input it came from."""

    document: Document
    source: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A part of the input that is valid in its format but describes no learning event."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Converted:
    """What a converter made of one input.

    ``collection`` says the input was a collection (an envelope, an array, a CSV export): its
    output is an array even when it holds one statement.
    """

    statements: list[Produced]
    version: str | None
    collection: bool
    skipped: list[Skipped] = field(default_factory=list)


def origin(iri: str) -> str | None:
    """``scheme://host`` of an http(s) IRI, the home page of the system it belongs to."""
    parts = urlsplit(iri)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def required_text(input_format: str, holder: dict[str, Any], name: str, where: str) -> str:
    value = holder.get(name)
    if not isinstance(value, str) or not value:
        raise ConversionFailed(input_format, at(where, name), "must be a non-empty string")
    return value


def at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
