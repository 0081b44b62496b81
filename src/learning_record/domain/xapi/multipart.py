"""Statements with their attachments in ``multipart/mixed`` (Communication 1.5.2).

A statement request in ``multipart/mixed`` carries the statements as JSON in its first part and
the raw data of attachments in the parts after it, each matched to the statements' attachment
objects by its SHA-2 (``X-Experience-API-Hash``) and by nothing else (1.5.2.s1.b4). The parser is
hand-written on ``bytes.find``, so a body of a few MB is split without copying it line by line.

Attachment data is keyed by the lowercase hex of its SHA-2 everywhere in this module.
"""

import email.message
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from learning_record.domain.errors import StatementInvalid
from learning_record.domain.json_input import JsonRejected, loads_bounded
from learning_record.domain.xapi.attachments import Attachment
from learning_record.domain.xapi.common import is_media_type
from learning_record.domain.xapi.signatures import verify_signed_statements
from learning_record.domain.xapi.statements import Statement, SubStatement, parse_statements

__all__ = [
    "StatementRequest",
    "StatementResponse",
    "check_json_only_attachments",
    "declared_attachments",
    "parse_statement_request",
]

MULTIPART_MIXED = "multipart/mixed"
_HASH_HEADER = "x-experience-api-hash"
_ENCODING_HEADER = "content-transfer-encoding"

# The SHA-2 function behind a hex digest, told by its length (1.5.2.s4.b4 names SHA-256, 384
# and 512 as the usual ones; any SHA-2 is allowed).
_SHA2_BY_HEX_LENGTH: dict[int, Callable[[bytes], Any]] = {
    56: hashlib.sha224,
    64: hashlib.sha256,
    96: hashlib.sha384,
    128: hashlib.sha512,
}
_HEX_DIGITS = frozenset("0123456789abcdef")
# RFC 2046 5.1.1: 1 to 70 "bchars", the last of them not a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


@dataclass(frozen=True)
class StatementRequest:
    """A statement request whose attachments all check out.

    ``attachments`` maps the lowercase hex SHA-2 of each received part to its raw data, and
    ``content_types`` maps it to the part's Content-Type (the attachment object's contentType
    when the part had none). ``in_array`` tells whether the statements came as a JSON array.
    """

    statements: list[Statement]
    attachments: dict[str, bytes]
    content_types: dict[str, str]
    in_array: bool


@dataclass(frozen=True)
class _Part:
    number: int  # 1-based position in the body, as error messages name it
    headers: dict[str, str]  # lowercase names
    content: bytes


# --- Requests ----------------------------------------------------------------------------------


def parse_statement_request(body: bytes, content_type: str) -> StatementRequest:
    """Split, check and match a ``multipart/mixed`` statement request (1.5.2).

    Raises ``StatementInvalid`` when the body is not well-formed multipart, the first part is not
    JSON statements, an attachment part lacks its headers or its data does not hash to its
    declared SHA-2, an attachment object without fileUrl has no part, a part belongs to no
    attachment object, or a signature does not verify (Data 2.6).
    """
    first, *rest = _split_parts(body, _boundary(content_type))
    statements, in_array = _statements_of(first)
    received: dict[str, _Part] = {}
    for part in rest:
        received.setdefault(_checked_hash(part), part)
    declared = _match_declared(statements, received, in_array)
    attachments = {sha2: part.content for sha2, part in received.items()}
    verify_signed_statements(statements, attachments, in_array=in_array)
    return StatementRequest(
        statements=statements,
        attachments=attachments,
        content_types={
            sha2: _content_type(sha2, part, declared[sha2]) for sha2, part in received.items()
        },
        in_array=in_array,
    )


def _content_type(sha2: str, part: _Part, declared: Attachment) -> str:
    """The part's Content-Type, or the attachment object's: printable ASCII (it is echoed in a
    header of the multipart answers that include it)."""
    value = part.headers.get("content-type") or declared.content_type
    if not is_media_type(value):
        raise StatementInvalid("", f"the Content-Type of attachment {sha2} is not a media type")
    return value


def check_json_only_attachments(
    statements: Sequence[Statement], *, in_array: bool | None = None
) -> None:
    """Reject an ``application/json`` request whose attachments do not all have a fileUrl.

    Such a request has no room for attachment data (1.5.2.s2.b1, 1.5.1.s1.b2), and so no room
    for a signature's JWS either (Data 2.6.s5.b3). ``in_array`` shapes the error paths like
    ``parse_statements`` does; by default a single statement is taken as sent alone.
    """
    in_array = len(statements) > 1 if in_array is None else in_array
    for path, attachment in declared_attachments(statements, in_array=in_array):
        if attachment.file_url is None:
            raise StatementInvalid(
                f"{path}.fileUrl",
                "is required when statements are sent as application/json, which cannot carry "
                "attachment data; send them as multipart/mixed instead (1.5.2.s2.b1)",
            )
    verify_signed_statements(statements, {}, in_array=in_array)


def declared_attachments(
    statements: Sequence[Statement], *, in_array: bool
) -> Iterator[tuple[str, Attachment]]:
    """Each attachment object of the statements and their SubStatements, with its JSON path."""
    for index, statement in enumerate(statements):
        prefix = f"[{index}]." if in_array else ""
        for position, attachment in enumerate(statement.attachments or ()):
            yield f"{prefix}attachments[{position}]", attachment
        if isinstance(statement.object, SubStatement):
            for position, attachment in enumerate(statement.object.attachments or ()):
                yield f"{prefix}object.attachments[{position}]", attachment


def _statements_of(first: _Part) -> tuple[list[Statement], bool]:
    media_type = _media_type(first.headers.get("content-type", ""))
    if media_type != "application/json":
        shown = repr(media_type) if media_type else "none"
        raise StatementInvalid(
            "",
            f"the first part must have Content-Type application/json and hold the statements; "
            f"it has {shown} (1.5.2.s2.b2.b1)",
        )
    try:
        raw = loads_bounded(first.content)
    except JsonRejected as error:
        raise StatementInvalid("", f"the first part is not usable JSON: {error}") from error
    return parse_statements(raw), isinstance(raw, list)


def _checked_hash(part: _Part) -> str:
    """The part's SHA-2 as lowercase hex, once its headers and its data have checked out."""
    declared = part.headers.get(_HASH_HEADER)
    if declared is None:
        raise StatementInvalid(
            "",
            f"part {part.number} has no X-Experience-API-Hash header; every part after the "
            "first must have one (1.5.2.s2.b2.b3)",
        )
    encoding = part.headers.get(_ENCODING_HEADER)
    if encoding is None or encoding.lower() != "binary":
        shown = repr(encoding) if encoding is not None else "none"
        raise StatementInvalid(
            "",
            f"part {part.number} must have the header Content-Transfer-Encoding: binary; "
            f"it has {shown} (1.5.2.s2.b2.b4)",
        )
    sha2 = declared.lower()
    digest = _SHA2_BY_HEX_LENGTH.get(len(sha2))
    if digest is None or not _HEX_DIGITS.issuperset(sha2):
        raise StatementInvalid(
            "",
            f"part {part.number} has X-Experience-API-Hash {declared!r}, which is not the hex "
            "digest of a SHA-2 function (SHA-224, 256, 384 or 512)",
        )
    if digest(part.content).hexdigest() != sha2:
        raise StatementInvalid(
            "",
            f"the data of part {part.number} does not hash to its X-Experience-API-Hash "
            f"{declared!r}",
        )
    return sha2


def _match_declared(
    statements: Sequence[Statement], received: Mapping[str, _Part], in_array: bool
) -> dict[str, Attachment]:
    """Attachment objects by SHA-2, once each one has data or a fileUrl and each part a user."""
    declared: dict[str, Attachment] = {}
    for path, attachment in declared_attachments(statements, in_array=in_array):
        sha2 = attachment.sha2.lower()
        if sha2 not in received and attachment.file_url is None:
            raise StatementInvalid(
                f"{path}.sha2",
                "matches no attachment part, and the attachment has no fileUrl (1.5.2.s3.b5)",
            )
        declared.setdefault(sha2, attachment)
    for sha2, part in received.items():
        if sha2 not in declared:
            raise StatementInvalid(
                "",
                f"part {part.number} (X-Experience-API-Hash {sha2}) matches the sha2 of no "
                "attachment of the statements (1.5.2.s1.b4)",
            )
    return declared


# --- Responses ---------------------------------------------------------------------------------


class StatementResponse:
    """The multipart body of a GET with ``attachments=true`` (2.1.3.s2.b6), piece by piece so that
    it can be sent while the attachments are read: ``opening()``, then for each attachment
    ``attachment_head(...)`` and its data, in that order (1.5.2.s2.b2), then ``closing()``.

    ``first_part`` is what the response would be as ``application/json`` (one statement, or a
    StatementResult), serialized. The boundary is checked against it; attachment data, read only
    after the headers are sent, cannot be checked, and holds a boundary of 128 random bits drawn
    after it was stored with a chance of about 2^-128 per position (RFC 2046 5.1.1).
    """

    def __init__(self, first_part: bytes) -> None:
        self.first_part = first_part
        self._delimiter = b"--" + _fresh_boundary(first_part)

    @property
    def content_type(self) -> str:
        return f"{MULTIPART_MIXED}; boundary={self._delimiter[2:].decode()}"

    def opening(self) -> bytes:
        return self._delimiter + b"\r\nContent-Type: application/json\r\n\r\n" + self.first_part

    def attachment_head(self, sha2: str, content_type: str) -> bytes:
        """What precedes an attachment's data: the end of the previous part, its headers."""
        headers = (
            f"\r\nContent-Type: {content_type}\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n"
        )
        return b"\r\n" + self._delimiter + headers.encode("latin-1")

    def closing(self) -> bytes:
        return b"\r\n" + self._delimiter + b"--\r\n"


def _fresh_boundary(content: bytes) -> bytes:
    # A random token is all but certain to be new; checking makes it certain (RFC 2046 5.1.1).
    while True:
        boundary = f"xapi-{secrets.token_hex(16)}".encode()
        if boundary not in content:
            return boundary


# --- The multipart/mixed format (RFC 2046 5.1) -------------------------------------------------


def _media_type(content_type: str) -> str:
    """``type/subtype`` of a Content-Type value, lowercase, without parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def _boundary(content_type: str) -> bytes:
    header = email.message.Message()
    header["content-type"] = content_type
    if _media_type(content_type) != MULTIPART_MIXED:
        raise StatementInvalid(
            "", f"Content-Type must be multipart/mixed, not {_media_type(content_type)!r}"
        )
    boundary = header.get_boundary()
    if boundary is None or not _BOUNDARY.fullmatch(boundary):
        raise StatementInvalid(
            "",
            "Content-Type multipart/mixed needs a boundary parameter of 1 to 70 characters "
            "among letters, digits, space and '()+_,-./:=? (RFC 2046 5.1.1)",
        )
    return boundary.encode("ascii")


def _split_parts(body: bytes, boundary: bytes) -> list[_Part]:
    """The parts between the first delimiter and the close delimiter (preamble and epilogue are
    dropped). Lines end in CRLF as RFC 2046 says; a body whose first delimiter line ends in a bare
    LF is read with LF throughout, as lenient parsers do."""
    dash_boundary = b"--" + boundary
    if body.startswith(dash_boundary):
        position = len(dash_boundary)
    else:
        found = body.find(b"\n" + dash_boundary)
        if found < 0:
            raise StatementInvalid(
                "", "the body does not contain the boundary given in its Content-Type"
            )
        position = found + 1 + len(dash_boundary)
    if body.startswith(b"--", position):
        raise StatementInvalid("", "the multipart body has no parts")
    end_of_line = b"\r\n" if body.startswith(b"\r\n", _after_padding(body, position)) else b"\n"
    delimiter = end_of_line + dash_boundary
    parts: list[_Part] = []
    while True:
        position = _after_padding(body, position)
        if position == len(body):
            raise _unterminated()
        if not body.startswith(end_of_line, position):
            raise StatementInvalid(
                "", "a boundary line of the body has characters after the boundary"
            )
        position += len(end_of_line)
        found = body.find(delimiter, position)
        if found < 0:
            raise _unterminated()
        parts.append(_read_part(body[position:found], len(parts) + 1, end_of_line))
        position = found + len(delimiter)
        if body.startswith(b"--", position):
            return parts


def _unterminated() -> StatementInvalid:
    return StatementInvalid(
        "", "the multipart body ends without its close delimiter (--boundary--)"
    )


def _after_padding(body: bytes, position: int) -> int:
    # RFC 2046 allows linear white space ("transport padding") after a boundary.
    while body[position : position + 1] in (b" ", b"\t"):
        position += 1
    return position


def _read_part(raw: bytes, number: int, end_of_line: bytes) -> _Part:
    if raw.startswith(end_of_line):  # a part without headers
        return _Part(number, {}, raw[len(end_of_line) :])
    split = raw.find(end_of_line * 2)
    if split < 0:
        raise StatementInvalid("", f"part {number} has no empty line after its headers")
    headers: dict[str, str] = {}
    name = ""
    for line in raw[:split].decode("latin-1").split(end_of_line.decode()):
        if line[:1] in (" ", "\t") and name:  # a folded header goes on (RFC 5322 2.2.3)
            headers[name] = f"{headers[name]} {line.strip()}"
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name:
            raise StatementInvalid("", f"part {number} has a malformed header line {line!r}")
        if name in headers:
            raise StatementInvalid("", f"part {number} has the header {name!r} more than once")
        headers[name] = value.strip()
    return _Part(number, headers, raw[split + 2 * len(end_of_line) :])
