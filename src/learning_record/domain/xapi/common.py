"""Data types shared by every xAPI 1.0.3 object (spec part 2, section 2.2, and part 4).

Format checks are regular expressions run by pydantic-core, so that validating a statement stays
fast; ``FORMAT_DESCRIPTIONS`` turns a failed pattern back into a sentence for the error message.
"""

import json
import math
import re
from datetime import datetime
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    PlainValidator,
    StringConstraints,
)
from pydantic_core import PydanticCustomError, core_schema

RULE_ERROR = "xapi_rule"


def rule_error(reason: str, at: str = "") -> PydanticCustomError:
    """An xAPI rule violation, raised from a validator.

    ``at`` is the path of the offending property relative to the object being validated
    (``"member"``, ``"choices[2].id"``), so that the error names the property and not its parent.
    """
    return PydanticCustomError(RULE_ERROR, "{reason}", {"reason": reason, "at": at})


def path_segment(name: str) -> str:
    """One property of a JSON path, as error messages and reports spell it.

    Property names and identifier-like keys read as ".name"; other keys (IRIs, language tags
    with hyphens) as '["key"]', so that the dots of an IRI never look like path separators.
    """
    return name if name.isidentifier() else f"[{json.dumps(name, ensure_ascii=False)}]"


def join_path(path: str, relative: str) -> str:
    """``relative`` (a segment or a path) under ``path``: "a.b" for "b", "a[0]" for "[0]"."""
    if not path or relative.startswith("["):
        return path + relative
    return f"{path}.{relative}"


class XapiModel(BaseModel):
    """Strict base of every xAPI object (2.2.s4.b1).

    Unknown or miscased properties are rejected, JSON types are never coerced (no "1" for 1,
    no "true" for true), and parsed objects are immutable.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        allow_inf_nan=False,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
    )


class _NotNull:
    """Drops ``None`` from an optional field's accepted values: absent is fine, null is not.

    xAPI 2.2.s4.b1.b1: an LRS rejects statements with null values, except inside extensions.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        return schema["schema"] if schema["type"] == "nullable" else schema


T = TypeVar("T")

# An optional property: it may be left out, but never sent as null. Declare with `= None`.
Omittable = Annotated[T | None, _NotNull()]


# --- Formats checked by pattern ----------------------------------------------------------------
# Patterns run on pydantic-core's Rust regex engine: anchored explicitly, ASCII classes spelled
# out because `\d` would match any Unicode digit there.

# 2.2.s4.b1.b8: IRIs and IRLs need a scheme. Best effort (2.2.s4.b6): a scheme, a colon, then no
# whitespace and no control character (RFC 3987 allows neither; the Rust engine's \s does not
# cover U+001C-U+001F, and U+001F separates the worker's routing keys from the rest of a table
# key). Producers really send ids like "uuid://…" and "course-v1:…", which pass.
IRI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]+$"
UUID_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
MAILTO_PATTERN = r"^mailto:[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$"
SHA1_HEX_PATTERN = r"^[0-9a-fA-F]{40}$"
VERSION_PATTERN = r"^1\.0(\.[0-9]+)?$"
# type "/" subtype, then optional parameters (RFC 6838 restricted names).
# Parameters in printable ASCII only: a content type is echoed in a header of multipart answers,
# where anything else breaks the answer or lets a client inject header lines.
MEDIA_TYPE_PATTERN = (
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*(;[ -~]*)?$"
)
_MEDIA_TYPE = re.compile(MEDIA_TYPE_PATTERN.removesuffix("$"))


def is_media_type(value: str) -> bool:
    return _MEDIA_TYPE.fullmatch(value) is not None


# RFC 5646 section 2.1 "Language-Tag" grammar (2.2.s4.b2 asks for at least the token lengths).
_ALNUM = "[A-Za-z0-9]"
_LANGUAGE = r"([A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # with up to 3 extlang subtags
_SCRIPT = r"(-[A-Za-z]{4})?"
_REGION = r"(-([A-Za-z]{2}|[0-9]{3}))?"
_VARIANTS = rf"(-({_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"
_EXTENSIONS = rf"(-[0-9A-WY-Za-wy-z](-{_ALNUM}{{2,8}})+)*"  # singleton: any alnum but x
_PRIVATE_USE = rf"[xX](-{_ALNUM}{{1,8}})+"
_LANGTAG = f"{_LANGUAGE}{_SCRIPT}{_REGION}{_VARIANTS}{_EXTENSIONS}(-{_PRIVATE_USE})?"
# Grandfathered tags that the grammar above does not already match.
_IRREGULAR = (
    "en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn"
    "|i-tao|i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE"
)
LANGUAGE_TAG_PATTERN = f"^({_LANGTAG}|{_PRIVATE_USE}|(?i:{_IRREGULAR}))$"

FORMAT_DESCRIPTIONS: dict[str, str] = {
    IRI_PATTERN: "an IRI with a scheme, such as 'https://example.com/x'",
    UUID_PATTERN: "a UUID in standard 8-4-4-4-12 hex form (RFC 4122, version 1-5)",
    MAILTO_PATTERN: "a mailto IRI: 'mailto:' followed by an email address",
    SHA1_HEX_PATTERN: "a hex-encoded SHA-1 hash (40 hex digits)",
    VERSION_PATTERN: "an xAPI version, '1.0' or '1.0.x'",
    MEDIA_TYPE_PATTERN: "an Internet media type such as 'application/pdf'",
    LANGUAGE_TAG_PATTERN: "an RFC 5646 language tag such as 'en' or 'en-US'",
}

IRI = Annotated[str, StringConstraints(pattern=IRI_PATTERN)]
# IRLs are IRIs meant to be resolvable; resolvability is not checked, so the format is the same.
IRL = Annotated[str, StringConstraints(pattern=IRI_PATTERN)]
UUID = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
MailtoIRI = Annotated[str, StringConstraints(pattern=MAILTO_PATTERN)]
Sha1Hex = Annotated[str, StringConstraints(pattern=SHA1_HEX_PATTERN)]
Version = Annotated[str, StringConstraints(pattern=VERSION_PATTERN)]
MediaType = Annotated[str, StringConstraints(pattern=MEDIA_TYPE_PATTERN)]
LanguageTag = Annotated[str, StringConstraints(pattern=LANGUAGE_TAG_PATTERN)]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]

# 4.2: keys are language tags, values the plain text in that language.
LanguageMap = dict[LanguageTag, str]
# 4.1: keys are IRIs; values are any JSON value, null included, and are never validated.
Extensions = dict[IRI, Any]


# --- Numbers -----------------------------------------------------------------------------------


def _json_number(value: object) -> int | float:
    # `type(...) is` on purpose: bool is an int subclass, but JSON true is not a number.
    if type(value) is int:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    raise PydanticCustomError("number_type", "Input should be a valid number")


# A JSON number kept as sent (an integer stays an integer on output).
Number = Annotated[int | float, PlainValidator(_json_number)]


# --- Timestamps (4.5) --------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
    r"(?P<offset>Z|[+-][0-9]{2}(:?[0-9]{2})?)"
)
# RFC 3339 4.3: "-00:00" means "offset unknown", which cannot place the instant in time.
_UNKNOWN_OFFSETS = frozenset({"-00:00", "-0000", "-00"})


class Timestamp(str):
    """An ISO 8601 timestamp with a time zone, kept exactly as sent.

    The string is what is stored and returned, so nothing is lost whatever its precision;
    ``as_datetime`` is the parsed, timezone-aware instant (to the microsecond).
    """

    _moment: datetime

    @property
    def as_datetime(self) -> datetime:
        return self._moment

    @classmethod
    def parse(cls, text: str) -> Self:
        """Validate ``text``; raise ``ValueError`` saying why when it is not a timestamp."""
        match = _TIMESTAMP.fullmatch(text)
        if match is None:
            raise ValueError(
                "must be an ISO 8601 timestamp with a time zone, "
                "such as '2021-11-29T23:09:00.867+00:00'"
            )
        if match["offset"] in _UNKNOWN_OFFSETS:
            raise ValueError("must not use the unknown-offset time zone '-00:00' (RFC 3339)")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"is not a valid date and time ({exc})") from None
        timestamp = cls(text)
        timestamp._moment = moment
        return timestamp

    @classmethod
    def _validate(cls, value: str) -> Self:
        try:
            return cls.parse(value)
        except ValueError as exc:
            raise rule_error(str(exc)) from None

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls._validate,
            core_schema.str_schema(strict=True),
            serialization=core_schema.plain_serializer_function_ser_schema(
                str.__str__, return_schema=core_schema.str_schema()
            ),
        )


# --- Durations (4.6) ---------------------------------------------------------------------------

_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_DURATION = re.compile(
    rf"P(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?"
)
_WEEKS = re.compile(rf"P(?P<weeks>{_NUMBER})W")

# Nominal lengths used to turn calendar units into seconds: a year is 365 days and a month 30
# days. The spec itself says durations cannot be converted exactly (2.3.1.b8), so this is an
# approximation, fine for indicators such as "time spent", never for comparing statements.
SECONDS_PER_UNIT: dict[str, float] = {
    "weeks": 7 * 86_400,
    "years": 365 * 86_400,
    "months": 30 * 86_400,
    "days": 86_400,
    "hours": 3_600,
    "minutes": 60,
    "seconds": 1,
}


def _duration_parts(text: str) -> dict[str, str]:
    """The components of an ISO 8601 duration, in order; ``ValueError`` saying why if not one."""
    match = _WEEKS.fullmatch(text) or _DURATION.fullmatch(text)
    parts = {} if match is None else {k: v for k, v in match.groupdict().items() if v is not None}
    if not parts or text.endswith("T"):
        raise ValueError("must be an ISO 8601 duration such as 'PT4H35M59.14S' or 'P4W'")
    # ISO 8601 4.4.3.2: only the lowest-order component given may have a decimal fraction.
    if any("." in number or "," in number for number in list(parts.values())[:-1]):
        raise ValueError("must have a decimal fraction on its last component only")
    return parts


def duration_seconds(duration: str) -> float:
    """Length in seconds of an ISO 8601 duration (``PnYnMnDTnHnMnS`` or ``PnW``).

    Years count 365 days and months 30 days (see ``SECONDS_PER_UNIT``).
    Raises ``ValueError`` when ``duration`` is not an ISO 8601 duration.
    """
    try:
        parts = _duration_parts(duration)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 duration ({exc}): {duration!r}") from None
    return sum(
        float(number.replace(",", ".")) * SECONDS_PER_UNIT[unit] for unit, number in parts.items()
    )


def _check_duration(value: str) -> str:
    try:
        _duration_parts(value)
    except ValueError as exc:
        raise rule_error(str(exc)) from None
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
