"""Signed statements (xAPI-Data.md 2.6): what an LRS accepts and what it rejects with a 400.

Keys and certificates are made here with ``cryptography``; statements are signed with PyJWT and
sent as the spec says, the JWS in an attachment part of a multipart/mixed request. Each case is
named after the requirement it proves. Case tables keep one case per line, hence the formatter
fences and the line-length exemption.
"""
# ruff: noqa: E501

import base64
import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from learning_record.domain.errors import StatementInvalid
from learning_record.domain.xapi import parse_statement
from learning_record.domain.xapi.multipart import parse_statement_request
from learning_record.domain.xapi.signatures import (
    SIGNATURE_USAGE_TYPE,
    is_signature,
    verify_signature,
)
from tests.unit.factories import (
    REMOVE,
    make_activity,
    make_agent,
    make_attachment,
    make_group,
    make_statement,
)
from tests.unit.test_attachments_multipart import (
    BOUNDARY,
    CONTENT_TYPE,
    TEXT,
    data_part,
    json_part,
    multipart_body,
    text_attachment,
)


@dataclass(frozen=True)
class Signer:
    """A private key and the self-signed certificate of its public key (x5c form)."""

    key: rsa.RSAPrivateKey
    certificate: str


def make_signer(name: str) -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Signer(key, base64.b64encode(der).decode())


SIGNER = make_signer("Example Learning Platform")
IMPOSTOR = make_signer("Someone Else")
HMAC_SECRET = b"a shared secret of thirty-two b."
UNSET: Any = object()


def jws_of(
    payload: object,
    *,
    algorithm: str = "RS256",
    key: Any = UNSET,
    x5c: Any = UNSET,
) -> bytes:
    """A JWS in Compact Serialization; ``x5c=None`` leaves the header without a certificate."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"x5c": [SIGNER.certificate] if x5c is UNSET else x5c}
    if x5c is None:
        headers = {}
    return (
        jwt.PyJWS().encode(data, SIGNER.key if key is UNSET else key, algorithm, headers).encode()
    )


def signature_attachment(jws: bytes, **overrides: Any) -> dict[str, Any]:
    return make_attachment(
        **{"length": len(jws), "sha2": hashlib.sha256(jws).hexdigest(), **overrides}
    )


def signed(statement: dict[str, Any], jws: bytes, **overrides: Any) -> dict[str, Any]:
    """The statement as sent: the signature attachment added after signing (2.6.s4.b3)."""
    sent = copy.deepcopy(statement)
    sent["attachments"] = [*sent.get("attachments", []), signature_attachment(jws, **overrides)]
    return sent


def post(statements: object, *signatures: bytes) -> None:
    """Parse a multipart/mixed statement request carrying the signatures as parts."""
    parts = [data_part(jws, Content_Type="application/octet-stream") for jws in signatures]
    parse_statement_request(multipart_body(json_part(statements), *parts), CONTENT_TYPE)


STATEMENT = make_statement()
OTHER_ID = "a5e6c3a2-6a0b-4b5c-9d4e-0c9b8a7f6e5d"
REVERSED_MEMBERS = list(reversed(make_group()["member"]))
NOT_A_CERTIFICATE = base64.b64encode(b"not a certificate").decode()


def signing(
    statement: dict[str, Any], payload: Any = UNSET, **options: Any
) -> tuple[dict[str, Any], bytes]:
    """The statement as sent and its JWS, signed over ``payload`` (the statement by default)."""
    jws = jws_of(statement if payload is UNSET else payload, **options)
    return signed(statement, jws), jws


def sent_with(statement: dict[str, Any], jws: bytes) -> tuple[dict[str, Any], bytes]:
    return signed(statement, jws), jws


def tampered(jws: bytes) -> bytes:
    """The JWS with one bit of its signature flipped."""
    header, payload, signature = jws.split(b".")
    raw = bytearray(base64.urlsafe_b64decode(signature + b"=="))
    raw[0] ^= 1
    return b".".join([header, payload, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=")])


def accepted(name: str, case: tuple[dict[str, Any], bytes]) -> Any:
    return pytest.param(*case, id=name)


def rejected(name: str, case: tuple[dict[str, Any], bytes], path: str, reason: str) -> Any:
    return pytest.param(*case, path, reason, id=name)


# fmt: off
ACCEPTED = [
    accepted("statement_signed_with_rs256_and_x5c_is_accepted_2_6_s4_b4", signing(STATEMENT)),
    accepted("statement_signed_with_rs384_is_accepted_2_6_s4_b4", signing(STATEMENT, algorithm="RS384")),
    accepted("statement_signed_with_rs512_is_accepted_2_6_s4_b4", signing(STATEMENT, algorithm="RS512")),
    accepted("signature_without_x5c_is_checked_without_a_key_2_6_s5_b3_b3", signing(STATEMENT, x5c=None)),
    accepted("whitespace_of_the_signed_serialization_are_ignored_2_6_s4_b3", sent_with(STATEMENT, jws_of(json.dumps(STATEMENT, indent=4).replace("\n", "\r\n").encode()))),
    accepted("id_added_after_signing_is_ignored_2_3_1_b1", signing(STATEMENT, make_statement(id=REMOVE))),
    accepted("timestamp_added_after_signing_is_ignored_2_3_1_b1", signing(STATEMENT, make_statement(timestamp=REMOVE))),
    accepted("authority_stored_and_version_are_ignored_2_3_1_b1", signing(make_statement(authority=make_agent(), stored="2021-11-30T00:00:00Z", version="1.0.3"), make_statement(version="1.0.0"))),
    accepted("timestamp_in_another_time_zone_is_the_same_instant_2_3_1_b4", signing(STATEMENT, make_statement(timestamp="2021-11-30T01:09:00.867+02:00"))),
    accepted("verb_display_is_not_compared_2_3_1_b3", signing(STATEMENT, make_statement(verb__display={"fr-FR": "a terminé"}))),
    accepted("activity_definition_is_not_compared_2_3_1_b2", signing(STATEMENT, make_statement(object__definition=REMOVE))),
    accepted("context_activity_definition_is_not_compared_2_3_1_b2", signing(make_statement(context={"contextActivities": {"parent": [make_activity()]}}), make_statement(context={"contextActivities": {"parent": make_activity(definition=REMOVE)}}))),
    accepted("group_members_in_another_order_are_the_same_group_2_3_1_b5", signing(make_statement(actor=make_group()), make_statement(actor=make_group(member=REVERSED_MEMBERS)))),
    accepted("mbox_domain_case_is_ignored_2_3_1_b7", signing(STATEMENT, make_statement(actor__mbox="mailto:ada@EXAMPLE.com"))),
    accepted("other_attachments_are_not_compared_2_3_1_b6", signing(make_statement(attachments=[text_attachment(fileUrl="http://example.com/t.txt")]), STATEMENT)),
]

REJECTED = [
    rejected("payload_differing_from_the_statement_is_rejected_2_6_s5_b3_b2", signing(STATEMENT, make_statement(actor__name="Someone Else")), "actor.name", "differs from the signed statement in the JWS payload of attachments[0] (2.6.s5.b3.b2)"),
    rejected("payload_with_another_id_is_rejected_2_6_s5_b3_b2", signing(STATEMENT, make_statement(id=OTHER_ID)), "id", "differs from the signed statement"),
    rejected("payload_at_another_instant_is_rejected_2_3_1_b4", signing(STATEMENT, make_statement(timestamp="2021-11-29T23:09:01.867+00:00")), "timestamp", "differs from the signed statement"),
    rejected("statement_with_a_property_the_payload_lacks_is_rejected_2_6_s5_b3_b2", signing(make_statement(result={"completion": True}), STATEMENT), "result", "differs from the signed statement"),
    rejected("another_serialization_of_a_uuid_is_a_difference_2_3_1_s9_b2", signing(make_statement(context={"registration": OTHER_ID}), make_statement(context={"registration": OTHER_ID.upper()})), "context.registration", "differs from the signed statement"),
    rejected("true_is_not_the_number_one_2_3_1_s9_b2", signing(make_statement(result={"success": True}), make_statement(result={"success": 1})), "result.success", "differs from the signed statement"),
    rejected("hs256_signature_is_rejected_2_6_s4_b4", signing(STATEMENT, algorithm="HS256", key=HMAC_SECRET), "attachments[0]", "its algorithm must be RS256, RS384 or RS512, not 'HS256' (2.6.s4.b4)"),
    rejected("unsigned_none_algorithm_is_rejected_2_6_s4_b4", signing(STATEMENT, algorithm="none", key=None), "attachments[0]", "not 'none'"),
    rejected("ps256_signature_is_rejected_2_6_s4_b4", signing(STATEMENT, algorithm="PS256"), "attachments[0]", "not 'PS256'"),
    rejected("signature_by_another_key_than_x5c_is_rejected_2_6_s5_b3_b3", signing(STATEMENT, key=IMPOSTOR.key), "attachments[0]", "it does not verify with the public key of the first x5c certificate (2.6.s5.b3.b3)"),
    rejected("x5c_of_another_key_first_is_rejected_2_6_s5_b3_b3", signing(STATEMENT, x5c=[IMPOSTOR.certificate, SIGNER.certificate]), "attachments[0]", "does not verify with the public key of the first x5c certificate"),
    rejected("tampered_signature_is_rejected_2_6_s5_b3_b3", sent_with(STATEMENT, tampered(jws_of(STATEMENT))), "attachments[0]", "does not verify"),
    rejected("x5c_that_is_not_a_certificate_is_rejected_2_6_s5_b1", signing(STATEMENT, x5c=[NOT_A_CERTIFICATE]), "attachments[0]", "the first x5c certificate is not base64 DER X.509"),
    rejected("x5c_that_is_not_an_array_is_rejected_2_6_s5_b1", signing(STATEMENT, x5c=SIGNER.certificate), "attachments[0]", "x5c must be a non-empty array of base64 certificates"),
    rejected("payload_that_is_not_json_is_rejected_2_6_s4_b3", signing(STATEMENT, json.dumps(STATEMENT).replace('"', "'", 1).encode()), "attachments[0]", "its payload is not JSON"),
    rejected("payload_that_is_not_a_statement_object_is_rejected_2_6_s4_b3", signing(STATEMENT, [STATEMENT]), "attachments[0]", "its payload must be the statement, a JSON object (2.6.s4.b3)"),
    rejected("jws_with_two_parts_is_rejected_2_6_s5_b1", sent_with(STATEMENT, jws_of(STATEMENT).rsplit(b".", 1)[0]), "attachments[0]", "three base64url parts"),
    rejected("jws_that_is_not_base64url_is_rejected_2_6_s5_b1", sent_with(STATEMENT, b"not!base64.at!all.sig"), "attachments[0]", "its header cannot be read"),
    rejected("jws_that_is_not_ascii_is_rejected_2_6_s5_b1", sent_with(STATEMENT, "é.é.é".encode()), "attachments[0]", "a JWS in Compact Serialization is ASCII text"),
    rejected("jws_json_serialization_is_rejected_2_6_s4_b2", sent_with(STATEMENT, b'{"payload": "e30", "signatures": []}'), "attachments[0]", "JWS JSON Serialization is not accepted; use Compact Serialization (2.6.s4.b2)"),
    rejected("signature_attachment_of_another_content_type_is_rejected_2_6_s4_b1", (signed(STATEMENT, jws_of(STATEMENT), contentType="text/plain; charset=ascii"), jws_of(STATEMENT)), "attachments[0].contentType", "must be 'application/octet-stream' for a signature attachment (2.6.s4.b1)"),
]
# fmt: on


@pytest.mark.parametrize(("sent", "jws"), ACCEPTED)
def test_well_formed_signature_is_accepted(sent: dict[str, Any], jws: bytes) -> None:
    post(sent, jws)


@pytest.mark.parametrize(("sent", "jws", "path", "reason"), REJECTED)
def test_malformed_signature_is_rejected_2_6_s5_b1(
    sent: dict[str, Any], jws: bytes, path: str, reason: str
) -> None:
    with pytest.raises(StatementInvalid) as caught:
        post(sent, jws)

    assert caught.value.path == path
    assert reason in caught.value.reason


def test_signature_in_a_batch_is_rejected_at_its_statement_2_6_s5_b1() -> None:
    jws = jws_of(make_statement(actor__name="Someone Else"))

    with pytest.raises(StatementInvalid) as caught:
        post([STATEMENT, signed(make_statement(id=REMOVE), jws)], jws)

    assert caught.value.path == "[1].actor.name"
    assert "attachments[0]" in caught.value.reason


def test_signature_not_sent_with_the_request_is_rejected_2_6_s5_b3() -> None:
    jws = jws_of(STATEMENT)
    sent = signed(STATEMENT, jws, fileUrl="http://example.com/signature.jws")

    with pytest.raises(StatementInvalid) as caught:
        post(sent)

    assert caught.value.path == "attachments[0].sha2"
    assert "cannot be verified (2.6.s5.b3)" in caught.value.reason


def test_every_signature_of_a_statement_is_checked_2_6_s5_b3() -> None:
    good, bad = jws_of(STATEMENT), jws_of(STATEMENT, key=IMPOSTOR.key)
    sent = signed(signed(STATEMENT, good), bad)

    with pytest.raises(StatementInvalid) as caught:
        post(sent, good, bad)

    assert caught.value.path == "attachments[1]"


def test_signature_beside_other_attachment_parts_is_accepted_2_6_s4_b1() -> None:
    unsigned = make_statement(attachments=[text_attachment()])
    jws = jws_of(unsigned)
    body = multipart_body(
        json_part(signed(unsigned, jws)),
        data_part(TEXT),
        data_part(jws, Content_Type="application/octet-stream"),
        boundary=BOUNDARY,
    )

    request = parse_statement_request(body, CONTENT_TYPE)

    assert set(request.attachments) == {
        hashlib.sha256(TEXT).hexdigest(),
        hashlib.sha256(jws).hexdigest(),
    }


def test_certificate_without_an_rsa_key_is_rejected_2_6_s4_b4() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EC")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(ec_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(ec_key, hashes.SHA256())
    )
    x5c = [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()]
    jws = jws_of(STATEMENT, x5c=x5c)

    with pytest.raises(StatementInvalid) as caught:
        post(signed(STATEMENT, jws), jws)

    assert "does not hold an RSA public key" in caught.value.reason


def test_signature_is_recognised_by_its_usage_type_2_6_s4_b1() -> None:
    signature = parse_statement(signed(STATEMENT, jws_of(STATEMENT))).attachments
    other = parse_statement(make_statement(attachments=[text_attachment()])).attachments

    assert signature is not None
    assert other is not None
    assert is_signature(signature[0])
    assert signature[0].usage_type == SIGNATURE_USAGE_TYPE
    assert not is_signature(other[0])


# --- Appendix D: the spec's own example --------------------------------------------------------

APPENDIX_D_STATEMENT: dict[str, Any] = {
    "version": "1.0.0",
    "id": "33cff416-e331-4c9d-969e-5373a1756120",
    "actor": {
        "mbox": "mailto:example@example.com",
        "name": "Example Learner",
        "objectType": "Agent",
    },
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/experienced",
        "display": {"en-US": "experienced"},
    },
    "object": {
        "id": "https://www.youtube.com/watch?v=xh4kIiH3Sm8",
        "objectType": "Activity",
        "definition": {
            "name": {"en-US": "Tax Tips & Information : How to File a Tax Return "},
            "description": {
                "en-US": "Filing a tax return will require filling out either a 1040, 1040A or 1040EZ form"
            },
        },
    },
    "timestamp": "2013-04-01T12:00:00Z",
    "attachments": [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"},
            "description": {"en-US": "A test signature"},
            "contentType": "application/octet-stream",
            "length": 4235,
            "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
        }
    ],
}

# The JWS of Appendix D, signed with the spec's 1024-bit example key, with its x5c chain.
APPENDIX_D_JWS = (
    b"ew0KICAgICJhbGciOiAiUlMyNTYiLA0KICAgICJ4NWMiOiBbDQogICAgICAgICJNSUlEQVRDQ0FtcWdBd0lCQWdJSkFNQjFjc051QTYra01BMEdDU3FHU0liM0RRRUJCUVVBTUhFeEN6QUpCZ05WQkFZVEFsVlRNUkl3RUFZRFZRUUlFd2xVWlc1dVpYTnpaV1V4R0RBV0JnTlZCQW9URDBWNFlXMXdiR1VnUTI5dGNHRnVlVEVRTUE0R0ExVUVBeE1IUlhoaGJYQnNaVEVpTUNBR0NTcUdTSWIzRFFFSkFSWVRaWGhoYlhCc1pVQmxlR0Z0Y0d4bExtTnZiVEFlRncweE16QTBNRFF4TlRJNE16QmFGdzB4TkRBME1EUXhOVEk0TXpCYU1JR1dNUXN3Q1FZRFZRUUdFd0pWVXpFU01CQUdBMVVFQ0JNSlZHVnVibVZ6YzJWbE1SRXdEd1lEVlFRSEV3aEdjbUZ1YTJ4cGJqRVlNQllHQTFVRUNoTVBSWGhoYlhCc1pTQkRiMjF3WVc1NU1SQXdEZ1lEVlFRTEV3ZEZlR0Z0Y0d4bE1SQXdEZ1lEVlFRREV3ZEZlR0Z0Y0d4bE1TSXdJQVlKS29aSWh2Y05BUWtCRmhObGVHRnRjR3hsUUdWNFlXMXdiR1V1WTI5dE1JR2ZNQTBHQ1NxR1NJYjNEUUVCQVFVQUE0R05BRENCaVFLQmdRRGp4dlpYRjMwV0w0b0tqWllYZ1IwWnlhWCt1M3k2K0pxVHFpTmtGYS9WVG5ldDZMeTJPVDZabW1jSkVQbnEzVW5ld3BIb09RK0dmaGhUa1cxM2owNmo1aU5uNG9iY0NWV1RMOXlYTnZKSCtLbyt4dTRZbC95U1BScklQeVRqdEhkRzBNMlh6SWxtbUxxbStDQVMrS0NiSmVINHRmNTQza0lXQzVwQzVwM2NWUUlEQVFBQm8zc3dlVEFKQmdOVkhSTUVBakFBTUN3R0NXQ0dTQUdHK0VJQkRRUWZGaDFQY0dWdVUxTk1JRWRsYm1WeVlYUmxaQ0JEWlhKMGFXWnBZMkYwWlRBZEJnTlZIUTRFRmdRVVZzM3Y1YWZFZE9lb1llVmFqQVFFNHYwV1MxUXdId1lEVlIwakJCZ3dGb0FVeVZJYzN5dnJhNEVCejIwSTRCRjM5SUFpeEJrd0RRWUpLb1pJaHZjTkFRRUZCUUFEZ1lFQWdTL0ZGNUQwSG5qNDRydlQ2a2duM2tKQXZ2MmxqL2Z5anp0S0lyWVMzM2xqWEduNmdHeUE0cXRiWEEyM1ByTzR1Yy93WUNTRElDRHBQb2JoNjJ4VENkOXFPYktoZ3dXT2kwNVBTQkxxVXUzbXdmQWUxNUxKQkpCcVBWWjRLMGtwcGVQQlU4bTZhSVpvSDU3TC85dDRPb2FMOHlLcy9xaktGZUkxT0ZXWnh2QT0iLA0KICAgICAgICAiTUlJRE56Q0NBcUNnQXdJQkFnSUpBTUIxY3NOdUE2K2pNQTBHQ1NxR1NJYjNEUUVCQlFVQU1IRXhDekFKQmdOVkJBWVRBbFZUTVJJd0VBWURWUVFJRXdsVVpXNXVaWE56WldVeEdEQVdCZ05WQkFvVEQwVjRZVzF3YkdVZ1EyOXRjR0Z1ZVRFUU1BNEdBMVVFQXhNSFJYaGhiWEJzWlRFaU1DQUdDU3FHU0liM0RRRUpBUllUWlhoaGJYQnNaVUJsZUdGdGNHeGxMbU52YlRBZUZ3MHhNekEwTURReE5USTFOVE5hRncweU16QTBNREl4TlRJMU5UTmFNSEV4Q3pBSkJnTlZCQVlUQWxWVE1SSXdFQVlEVlFRSUV3bFVaVzV1WlhOelpXVXhHREFXQmdOVkJBb1REMFY0WVcxd2JHVWdRMjl0Y0dGdWVURVFNQTRHQTFVRUF4TUhSWGhoYlhCc1pURWlNQ0FHQ1NxR1NJYjNEUUVKQVJZVFpYaGhiWEJzWlVCbGVHRnRjR3hsTG1OdmJUQ0JuekFOQmdrcWhraUc5dzBCQVFFRkFBT0JqUUF3Z1lrQ2dZRUExc0JuQldQWjBmN1dKVUZUSnk1KzAxU2xTNVo2RERENlV5ZTl2SzlBeWNnVjVCMytXQzhIQzV1NWg5MU11akFDMUFSUFZVT3RzdlBSczQ1cUtORklnSUdSWEtQQXdaamF3RUkyc0NKUlNLVjQ3aTZCOGJEdjRXa3VHdlFhdmVaR0kwcWxtTjVSMUVpbTJnVUl0UmoxaGdjQzlyUWF2amxuRktEWTJybFhHdWtDQXdFQUFhT0IxakNCMHpBZEJnTlZIUTRFRmdRVXlWSWMzeXZyYTRFQnoyMEk0QkYzOUlBaXhCa3dnYU1HQTFVZEl3U0JtekNCbUlBVXlWSWMzeXZyYTRFQnoyMEk0QkYzOUlBaXhCbWhkYVJ6TUhFeEN6QUpCZ05WQkFZVEFsVlRNUkl3RUFZRFZRUUlFd2xVWlc1dVpYTnpaV1V4R0RBV0JnTlZCQW9URDBWNFlXMXdiR1VnUTI5dGNHRnVlVEVRTUE0R0ExVUVBeE1IUlhoaGJYQnNaVEVpTUNBR0NTcUdTSWIzRFFFSkFSWVRaWGhoYlhCc1pVQmxlR0Z0Y0d4bExtTnZiWUlKQU1CMWNzTnVBNitqTUF3R0ExVWRFd1FGTUFNQkFmOHdEUVlKS29aSWh2Y05BUUVGQlFBRGdZRUFEaHdUZWJHazczNXlLaG04RHFDeHZObkVaME54c1lFWU9qZ1JHMXlYVGxXNXBFNjkxZlNINUFaK1Q2ZnB3cFpjV1k1UVlrb042RG53ak94R2tTZlFDMy95R21jVURLQlB3aVo1TzJzOUMrZkUxa1VFbnJYMlhlYTRhZ1ZuZ016UjhEUTZvT2F1TFdxZWhEQitnMkVOV1JMb1ZnUyttYTUvWWNzMEdUeXJFQ1k9Ig0KICAgIF0NCn0"
    b".ew0KICAgICJ2ZXJzaW9uIjogIjEuMC4wIiwNCiAgICAiaWQiOiAiMzNjZmY0MTYtZTMzMS00YzlkLTk2OWUtNTM3M2ExNzU2MTIwIiwNCiAgICAiYWN0b3IiOiB7DQogICAgICAgICJtYm94IjogIm1haWx0bzpleGFtcGxlQGV4YW1wbGUuY29tIiwNCiAgICAgICAgIm5hbWUiOiAiRXhhbXBsZSBMZWFybmVyIiwNCiAgICAgICAgIm9iamVjdFR5cGUiOiAiQWdlbnQiDQogICAgfSwNCiAgICAidmVyYiI6IHsNCiAgICAgICAgImlkIjogImh0dHA6Ly9hZGxuZXQuZ292L2V4cGFwaS92ZXJicy9leHBlcmllbmNlZCIsDQogICAgICAgICJkaXNwbGF5Ijogew0KICAgICAgICAgICAgImVuLVVTIjogImV4cGVyaWVuY2VkIg0KICAgICAgICB9DQogICAgfSwNCiAgICAib2JqZWN0Ijogew0KICAgICAgICAiaWQiOiAiaHR0cHM6Ly93d3cueW91dHViZS5jb20vd2F0Y2g_dj14aDRrSWlIM1NtOCIsDQogICAgICAgICJvYmplY3RUeXBlIjogIkFjdGl2aXR5IiwNCiAgICAgICAgImRlZmluaXRpb24iOiB7DQogICAgICAgICAgICAibmFtZSI6IHsNCiAgICAgICAgICAgICAgICAiZW4tVVMiOiAiVGF4IFRpcHMgJiBJbmZvcm1hdGlvbiA6IEhvdyB0byBGaWxlIGEgVGF4IFJldHVybiAiDQogICAgICAgICAgICB9LA0KICAgICAgICAgICAgImRlc2NyaXB0aW9uIjogew0KICAgICAgICAgICAgICAgICJlbi1VUyI6ICJGaWxpbmcgYSB0YXggcmV0dXJuIHdpbGwgcmVxdWlyZSBmaWxsaW5nIG91dCBlaXRoZXIgYSAxMDQwLCAxMDQwQSBvciAxMDQwRVogZm9ybSINCiAgICAgICAgICAgIH0NCiAgICAgICAgfQ0KICAgIH0sDQogICAgInRpbWVzdGFtcCI6ICIyMDEzLTA0LTAxVDEyOjAwOjAwWiINCn0"
    b".FWuwaPhwUbkk7h9sKW5zSvjsYNugvxJ-TrVaEgt_DCUT0bmKhQScRrjMB6P9O50uznPwT66oF1NnU_G0HVhRzS5voiXE-y7tT3z0M3-8A6YK009Bk_digVUul-HA4Fpd5IjoBBGe3yzaQ2ZvzarvRuipvNEQCI0onpfuZZJQ0d8"
)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_spec_example_signed_statement_is_accepted_appendix_d() -> None:
    assert (
        hashlib.sha256(APPENDIX_D_JWS).hexdigest() == APPENDIX_D_STATEMENT["attachments"][0]["sha2"]
    )

    post(APPENDIX_D_STATEMENT, APPENDIX_D_JWS)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_spec_example_with_a_changed_statement_is_rejected_appendix_d() -> None:
    changed = {**APPENDIX_D_STATEMENT, "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"}}

    with pytest.raises(StatementInvalid) as caught:
        verify_signature(parse_statement(changed), APPENDIX_D_JWS)

    assert caught.value.path == "verb.id"
