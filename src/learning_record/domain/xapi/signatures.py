"""Signed statements (Data 2.6): the checks an LRS makes before it stores one.

A signed statement carries a JSON Web Signature (RFC 7515) as an attachment. The LRS decodes it,
checks that the signed payload is logically the received statement (2.3.1.s9), checks the
signature against the certificate in the ``x5c`` header when there is one, and checks the
algorithm. The JOSE work is PyJWT's; certificates are read with ``cryptography``.

As the spec notes, verifying against the included certificate catches mistakes; it does not
authenticate the signer.
"""

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
import orjson
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from learning_record.domain.errors import StatementInvalid
from learning_record.domain.xapi.attachments import Attachment
from learning_record.domain.xapi.common import Timestamp, join_path, path_segment
from learning_record.domain.xapi.statements import Statement

__all__ = [
    "SIGNATURE_ALGORITHMS",
    "SIGNATURE_CONTENT_TYPE",
    "SIGNATURE_USAGE_TYPE",
    "is_signature",
    "verify_signature",
    "verify_signed_statements",
]

SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"
SIGNATURE_ALGORITHMS = ("RS256", "RS384", "RS512")  # 2.6.s4.b4

_JWS = jwt.PyJWS(algorithms=list(SIGNATURE_ALGORITHMS))


def is_signature(attachment: Attachment) -> bool:
    """Whether the attachment is a statement signature, by its usageType (2.6.s4.b1)."""
    return attachment.usage_type == SIGNATURE_USAGE_TYPE


def verify_signed_statements(
    statements: Sequence[Statement],
    attachments: Mapping[str, bytes],
    *,
    in_array: bool,
) -> None:
    """Verify every signature attachment of the statements (2.6.s5).

    ``attachments`` maps the lowercase hex SHA-2 of each received attachment to its data. A
    signature must have come with the request: without its JWS the LRS cannot do the checks that
    2.6.s5.b3 requires of it. ``in_array`` shapes error paths like ``parse_statements`` does.
    """
    for index, statement in enumerate(statements):
        statement_path = f"[{index}]" if in_array else ""
        for position, attachment in enumerate(statement.attachments or ()):
            if not is_signature(attachment):
                continue
            path = join_path(statement_path, f"attachments[{position}]")
            if attachment.content_type.split(";", 1)[0].strip().lower() != SIGNATURE_CONTENT_TYPE:
                raise StatementInvalid(
                    f"{path}.contentType",
                    f"must be {SIGNATURE_CONTENT_TYPE!r} for a signature attachment (2.6.s4.b1)",
                )
            jws = attachments.get(attachment.sha2.lower())
            if jws is None:
                raise StatementInvalid(
                    f"{path}.sha2",
                    "names a signature whose JWS was not sent in the multipart/mixed request, "
                    "so it cannot be verified (2.6.s5.b3)",
                )
            verify_signature(statement, jws, path=path, statement_path=statement_path)


def verify_signature(
    statement: Statement, jws: bytes, *, path: str = "", statement_path: str = ""
) -> None:
    """Check one JWS against the statement it signs; raise ``StatementInvalid`` saying why not.

    ``path`` names the signature attachment in errors about the JWS itself; ``statement_path``
    (``"[2]"`` in a batch) is where the statement is, for errors naming one of its properties.
    """
    token = _compact_token(jws, path)
    try:
        header = _JWS.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise _malformed(path, f"its header cannot be read ({error})") from error
    algorithm = header.get("alg")
    if algorithm not in SIGNATURE_ALGORITHMS:
        raise _malformed(
            path, f"its algorithm must be RS256, RS384 or RS512, not {algorithm!r} (2.6.s4.b4)"
        )
    try:
        if "x5c" in header:
            decoded = _JWS.decode_complete(
                token, key=_certificate_key(header["x5c"], path), algorithms=[algorithm]
            )
        else:
            decoded = _JWS.decode_complete(token, options={"verify_signature": False})
    except jwt.InvalidSignatureError as error:
        raise _malformed(
            path,
            "it does not verify with the public key of the first x5c certificate (2.6.s5.b3.b3)",
        ) from error
    except jwt.PyJWTError as error:
        raise _malformed(path, f"it cannot be decoded ({error})") from error
    signed = _signed_statement(decoded["payload"], path)
    received = statement.to_document()
    difference = _difference(_comparable(signed, received), _comparable(received, signed), "")
    if difference is not None:
        raise StatementInvalid(
            join_path(statement_path, difference),
            "differs from the signed statement in the JWS payload of "
            f"{path or 'the signature'} (2.6.s5.b3.b2)",
        )


def _malformed(path: str, reason: str) -> StatementInvalid:
    return StatementInvalid(path, f"the signature is malformed: {reason}")


def _compact_token(jws: bytes, path: str) -> str:
    try:
        token = jws.decode("ascii").strip()
    except UnicodeDecodeError as error:
        raise _malformed(path, "a JWS in Compact Serialization is ASCII text") from error
    if token.startswith("{"):
        raise _malformed(
            path, "JWS JSON Serialization is not accepted; use Compact Serialization (2.6.s4.b2)"
        )
    if token.count(".") != 2:
        raise _malformed(
            path, "a JWS in Compact Serialization has three base64url parts separated by dots"
        )
    return token


def _certificate_key(x5c: object, path: str) -> RSAPublicKey:
    """The public key of the first certificate of an x5c chain (RFC 7515 4.1.6)."""
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        raise _malformed(path, "x5c must be a non-empty array of base64 certificates")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
        key = certificate.public_key()  # parsed lazily: a broken key only fails here
    except (binascii.Error, ValueError, UnsupportedAlgorithm) as error:
        raise _malformed(path, "the first x5c certificate is not base64 DER X.509") from error
    if not isinstance(key, RSAPublicKey):
        raise _malformed(path, "the first x5c certificate does not hold an RSA public key")
    return key


def _signed_statement(payload: bytes, path: str) -> dict[str, Any]:
    try:
        signed = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise _malformed(path, f"its payload is not JSON ({error}) (2.6.s4.b3)") from error
    if not isinstance(signed, dict):
        raise _malformed(path, "its payload must be the statement, a JSON object (2.6.s4.b3)")
    return signed


# --- Statement comparison (Data 2.3.1.s9) ------------------------------------------------------
# Differences that the exceptions to statement immutability (2.3.1) could have caused are
# ignored; any other difference, serialization included, counts.

# 2.3.1.b1: properties the LRS assigns. authority, stored and version it may set or overwrite;
# id and timestamp it only fills in when they are missing. 2.3.1.b6: attachments are not part
# of the statement (and the signature itself was added after signing).
_ALWAYS_IGNORED = frozenset({"authority", "stored", "version", "attachments"})
_IGNORED_WHEN_MISSING = ("id", "timestamp")


def _comparable(document: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """``document`` without what the comparison ignores, compared with ``other``."""
    kept = {name: value for name, value in document.items() if name not in _ALWAYS_IGNORED}
    for name in _IGNORED_WHEN_MISSING:
        if name not in other:
            kept.pop(name, None)
    return _comparable_statement(kept)


def _comparable_statement(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement or SubStatement with the 2.3.1 exceptions taken out of its properties."""
    comparable = dict(statement)
    if "timestamp" in comparable:  # 2.3.1.b4: the instant counts, not its serialization
        comparable["timestamp"] = _instant(comparable["timestamp"])
    if isinstance(verb := comparable.get("verb"), dict):  # 2.3.1.b3: not the Verb's display
        comparable["verb"] = {name: value for name, value in verb.items() if name != "display"}
    if "actor" in comparable:
        comparable["actor"] = _comparable_actor(comparable["actor"])
    if isinstance(target := comparable.get("object"), dict):
        kind = target.get("objectType", "Activity")
        if kind == "SubStatement":
            comparable["object"] = _comparable_statement(target)
        elif kind == "Activity":
            comparable["object"] = _comparable_activity(target)
        else:
            comparable["object"] = _comparable_actor(target)
    if isinstance(context := comparable.get("context"), dict):
        comparable["context"] = _comparable_context(context)
    return comparable


def _comparable_context(context: dict[str, Any]) -> dict[str, Any]:
    comparable = dict(context)
    for name in ("instructor", "team"):
        if name in comparable:
            comparable[name] = _comparable_actor(comparable[name])
    if isinstance(activities := comparable.get("contextActivities"), dict):
        comparable["contextActivities"] = {
            # A single Activity and an array of it are the same (2.4.6.2.s4.b3).
            kind: [_comparable_activity(activity) for activity in _as_list(value)]
            for kind, value in activities.items()
        }
    return comparable


def _comparable_activity(activity: Any) -> Any:
    # 2.3.1.b2: the Activity Definition is not part of the statement.
    if not isinstance(activity, dict):
        return activity
    return {name: value for name, value in activity.items() if name != "definition"}


def _comparable_actor(actor: Any) -> Any:
    if not isinstance(actor, dict):
        return actor
    comparable = dict(actor)
    mbox = comparable.get("mbox")
    if isinstance(mbox, str) and "@" in mbox:  # 2.3.1.b7: an e-mail domain ignores case
        local, domain = mbox.rsplit("@", 1)
        comparable["mbox"] = f"{local}@{domain.lower()}"
    if isinstance(members := comparable.get("member"), list):  # 2.3.1.b5: members are a set
        comparable["member"] = sorted(
            (_comparable_actor(member) for member in members),
            key=lambda member: orjson.dumps(member, option=orjson.OPT_SORT_KEYS),
        )
    return comparable


def _instant(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Timestamp.parse(value).as_datetime
        except ValueError:
            return value
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _difference(signed: Any, received: Any, path: str) -> str | None:
    """The JSON path of the first place where the two differ, or None when they do not."""
    if isinstance(signed, dict) and isinstance(received, dict):
        for name in [*signed, *(name for name in received if name not in signed)]:
            where = join_path(path, path_segment(name))
            if name not in signed or name not in received:
                return where
            found = _difference(signed[name], received[name], where)
            if found is not None:
                return found
        return None
    if isinstance(signed, list) and isinstance(received, list) and len(signed) == len(received):
        for index, (left, right) in enumerate(zip(signed, received, strict=True)):
            found = _difference(left, right, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    # JSON true is not 1: Python's bool equals int, so types are compared too.
    same_kind = isinstance(signed, bool) == isinstance(received, bool)
    return None if same_kind and signed == received else path
