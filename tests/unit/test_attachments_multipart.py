"""Statement requests with attachments: multipart/mixed in and out, and JSON-only attachments.

Each case is named after the requirement it proves; section numbers refer to
xAPI-Communication.md (1.5 Content Types, 2.1 Statement Resource) of the 1.0.3 specification.
Case tables keep one case per line, hence the formatter fences and the line-length exemption.
"""
# ruff: noqa: E501

import email
import email.policy
import hashlib
import os
from collections.abc import Mapping
from typing import Any

import orjson
import pytest

from learning_record.domain.errors import StatementInvalid
from learning_record.domain.xapi import parse_statement, parse_statements
from learning_record.domain.xapi.multipart import (
    StatementResponse,
    check_json_only_attachments,
    parse_statement_request,
)
from tests.unit.factories import (
    REMOVE,
    make_attachment,
    make_statement,
    make_sub_statement,
)

BOUNDARY = "abcABC0123'()+_,-./:=?"  # the spec's, chosen to show the allowed characters
CONTENT_TYPE = f'multipart/mixed; boundary="{BOUNDARY}"'

TEXT = b"here is a simple attachment"
TEXT_SHA2 = hashlib.sha256(TEXT).hexdigest()
OTHER_TEXT = b"here is another simple attachment"
OTHER_SHA2 = hashlib.sha256(OTHER_TEXT).hexdigest()
FILE_URL = "http://over.there.com/file.txt"

# A part: its headers (None drops a default one) and its raw data.
Part = tuple[dict[str, str | None], bytes]


def text_attachment(**overrides: Any) -> dict[str, Any]:
    """The attachment object of TEXT, without fileUrl."""
    defaults = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain",
        "length": len(TEXT),
        "sha2": TEXT_SHA2,
    }
    return make_attachment(**{**defaults, **overrides})


def other_attachment(**overrides: Any) -> dict[str, Any]:
    return text_attachment(length=len(OTHER_TEXT), sha2=OTHER_SHA2, **overrides)


def json_part(statements: object, **headers: str | None) -> Part:
    return {"Content-Type": "application/json", **headers}, orjson.dumps(statements)


def data_part(data: bytes, **headers: str | None) -> Part:
    """An attachment part as the spec wants it; keyword headers use "_" for "-"."""
    defaults: dict[str, str | None] = {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": hashlib.sha256(data).hexdigest(),
    }
    return {**defaults, **{name.replace("_", "-"): value for name, value in headers.items()}}, data


def multipart_body(
    *parts: Part, boundary: str = BOUNDARY, end_of_line: bytes = b"\r\n", preamble: bytes = b""
) -> bytes:
    delimiter = b"--" + boundary.encode()
    chunks = [preamble]
    for headers, data in parts:
        lines = [f"{name}:{value}".encode() for name, value in headers.items() if value is not None]
        chunks.append(
            delimiter
            + end_of_line
            + end_of_line.join([*lines, b""])
            + end_of_line
            + data
            + end_of_line
        )
    chunks.append(delimiter + b"--")
    return b"".join(chunks)


def body_with(statement: object, *attachments: bytes) -> bytes:
    return multipart_body(json_part(statement), *(data_part(data) for data in attachments))


# Section 1.5.2.s6, byte for byte with CRLF line ends: a statement and one text attachment.
SPEC_EXAMPLE = (
    b"--abcABC0123'()+_,-./:=?\r\n"
    b"Content-Type:application/json\r\n"
    b"\r\n"
    b"{\r\n"
    b'    "actor": {\r\n'
    b'        "mbox": "mailto:sample.agent@example.com",\r\n'
    b'        "name": "Sample Agent",\r\n'
    b'        "objectType": "Agent"\r\n'
    b"    },\r\n"
    b'    "verb": {\r\n'
    b'        "id": "http://adlnet.gov/expapi/verbs/answered",\r\n'
    b'        "display": {\r\n'
    b'            "en-US": "answered"\r\n'
    b"        }\r\n"
    b"    },\r\n"
    b'    "object": {\r\n'
    b'        "id": "http://www.example.com/tincan/activities/multipart",\r\n'
    b'        "objectType": "Activity",\r\n'
    b'        "definition": {\r\n'
    b'            "name": {\r\n'
    b'                "en-US": "Multi Part Activity"\r\n'
    b"            },\r\n"
    b'            "description": {\r\n'
    b'                "en-US": "Multi Part Activity Description"\r\n'
    b"            }\r\n"
    b"        }\r\n"
    b"    },\r\n"
    b'    "attachments": [\r\n'
    b"        {\r\n"
    b'            "usageType": "http://example.com/attachment-usage/test",\r\n'
    b'            "display": { "en-US": "A test attachment" },\r\n'
    b'            "description": { "en-US": "A test attachment (description)" },\r\n'
    b'            "contentType": "text/plain; charset=ascii",\r\n'
    b'            "length": 27,\r\n'
    b'            "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"\r\n'
    b"        }\r\n"
    b"    ]\r\n"
    b"}\r\n"
    b"--abcABC0123'()+_,-./:=?\r\n"
    b"Content-Type:text/plain\r\n"
    b"Content-Transfer-Encoding:binary\r\n"
    b"X-Experience-API-Hash:495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a\r\n"
    b"\r\n"
    b"here is a simple attachment\r\n"
    b"--abcABC0123'()+_,-./:=?--"
)

# A part's data that looks like multipart syntax but holds no delimiter (CRLF "--" boundary):
# CRLFs, dashes, the boundary not at the start of a line, and every byte value.
TRICKY_DATA = (
    b"\r\n--\r\n-- "
    + BOUNDARY.encode()
    + b"\r\nx--"
    + BOUNDARY.encode()
    + b"--\r\n-"
    + bytes(range(256))
    + b"\r\n\r\n"
)
TRICKY_SHA2 = hashlib.sha256(TRICKY_DATA).hexdigest()


def accepted(
    name: str, body: bytes, attachments: Mapping[str, bytes], content_type: str = CONTENT_TYPE
) -> Any:
    return pytest.param(body, content_type, dict(attachments), id=name)


def rejected(
    name: str, body: bytes, path: str, reason: str, content_type: str = CONTENT_TYPE
) -> Any:
    return pytest.param(body, content_type, path, reason, id=name)


# fmt: off
ACCEPTED = [
    accepted("spec_example_is_accepted_1_5_2_s6", SPEC_EXAMPLE, {TEXT_SHA2: TEXT}),
    accepted("statement_with_raw_attachment_is_accepted_1_5_2_s3_b4", body_with(make_statement(attachments=[text_attachment()]), TEXT), {TEXT_SHA2: TEXT}),
    accepted("two_attachments_in_two_parts_are_accepted_1_5_2_s2_b2_b2", body_with(make_statement(attachments=[text_attachment(), other_attachment()]), TEXT, OTHER_TEXT), {TEXT_SHA2: TEXT, OTHER_SHA2: OTHER_TEXT}),
    accepted("batch_sharing_one_attachment_part_is_accepted_1_5_2_s2_b2_b5", body_with([make_statement(attachments=[text_attachment()]), make_statement(id=REMOVE, attachments=[text_attachment()])], TEXT), {TEXT_SHA2: TEXT}),
    accepted("multipart_without_attachment_objects_is_accepted_1_5_2_s3_b8", body_with(make_statement()), {}),
    accepted("multipart_with_only_file_url_attachments_is_accepted_1_5_2_s3_b9", body_with(make_statement(attachments=[text_attachment(fileUrl=FILE_URL)])), {}),
    accepted("attachment_with_file_url_may_also_have_a_part_1_5_2_s3_b5", body_with(make_statement(attachments=[text_attachment(fileUrl=FILE_URL)]), TEXT), {TEXT_SHA2: TEXT}),
    accepted("sub_statement_attachment_is_matched_by_its_part_2_4_11", body_with(make_statement(object=make_sub_statement(attachments=[text_attachment()])), TEXT), {TEXT_SHA2: TEXT}),
    accepted("duplicate_part_of_the_same_data_is_tolerated_1_5_2_s2_b2_b5", body_with(make_statement(attachments=[text_attachment()]), TEXT, TEXT), {TEXT_SHA2: TEXT}),
    accepted("sha2_is_matched_whatever_the_case_of_its_hex_1_5_2_s1_b4", multipart_body(json_part(make_statement(attachments=[text_attachment(sha2=TEXT_SHA2.upper())])), data_part(TEXT)), {TEXT_SHA2: TEXT}),
    accepted("sha512_attachment_is_accepted_1_5_2_s4_b4", body_with(make_statement(attachments=[text_attachment(sha2=hashlib.sha512(TEXT).hexdigest())]), TEXT).replace(TEXT_SHA2.encode(), hashlib.sha512(TEXT).hexdigest().encode()), {hashlib.sha512(TEXT).hexdigest(): TEXT}),
    accepted("data_looking_like_multipart_syntax_is_kept_byte_for_byte_1_5_2_s6_b3", body_with(make_statement(attachments=[text_attachment(sha2=TRICKY_SHA2)]), TRICKY_DATA), {TRICKY_SHA2: TRICKY_DATA}),
    accepted("empty_attachment_is_accepted_2_4_11", body_with(make_statement(attachments=[text_attachment(length=0, sha2=hashlib.sha256(b"").hexdigest())]), b""), {hashlib.sha256(b"").hexdigest(): b""}),
    accepted("preamble_and_leading_crlf_are_ignored_rfc_2046", multipart_body(json_part(make_statement()), preamble=b"\r\nThis is a preamble.\r\n"), {}),
    accepted("epilogue_is_ignored_rfc_2046", body_with(make_statement()) + b"\r\nThis is an epilogue.\r\n", {}),
    accepted("transport_padding_after_a_boundary_is_ignored_rfc_2046", body_with(make_statement(attachments=[text_attachment()]), TEXT).replace(BOUNDARY.encode() + b"\r\n", BOUNDARY.encode() + b" \t\r\n"), {TEXT_SHA2: TEXT}),
    accepted("bare_lf_line_ends_are_tolerated", multipart_body(json_part(make_statement(attachments=[text_attachment()])), data_part(TEXT), end_of_line=b"\n"), {TEXT_SHA2: TEXT}),
    accepted("header_names_are_case_insensitive_rfc_2045", multipart_body(json_part(make_statement(attachments=[text_attachment()])), ({"content-type": "text/plain", "CONTENT-TRANSFER-ENCODING": "BINARY", "x-experience-api-hash": TEXT_SHA2}, TEXT)), {TEXT_SHA2: TEXT}),
    accepted("first_part_content_type_may_have_parameters_1_5_2_s2_b2_b6", multipart_body(json_part(make_statement(), **{"Content-Type": "application/json; charset=utf-8"})), {}),
    accepted("unquoted_boundary_is_accepted_rfc_2046", multipart_body(json_part(make_statement()), boundary="simple-boundary"), {}, content_type="multipart/mixed; boundary=simple-boundary"),
]

REJECTED = [
    rejected("form_data_content_type_is_rejected_1_5_b2", body_with(make_statement()), "", "Content-Type must be multipart/mixed", content_type=f"multipart/form-data; boundary={BOUNDARY}"),
    rejected("missing_boundary_parameter_is_rejected_1_5_2_s2_b2", body_with(make_statement()), "", "needs a boundary parameter", content_type="multipart/mixed;"),
    rejected("boundary_longer_than_70_characters_is_rejected_rfc_2046", body_with(make_statement()), "", "needs a boundary parameter of 1 to 70 characters", content_type="multipart/mixed; boundary=" + "b" * 71),
    rejected("boundary_with_a_forbidden_character_is_rejected_rfc_2046", body_with(make_statement()), "", "needs a boundary parameter", content_type='multipart/mixed; boundary="a<b"'),
    rejected("body_without_the_boundary_is_rejected_1_5_2_s2_b2", body_with(make_statement()), "", "does not contain the boundary", content_type="multipart/mixed; boundary=another"),
    rejected("body_without_close_delimiter_is_rejected_rfc_2046", body_with(make_statement()).removesuffix(b"--"), "", "ends without its close delimiter"),
    rejected("body_without_parts_is_rejected_1_5_2_s2_b2_b1", b"--" + BOUNDARY.encode() + b"--\r\n", "", "has no parts"),
    rejected("boundary_line_with_trailing_characters_is_rejected_rfc_2046", body_with(make_statement()).replace(BOUNDARY.encode() + b"\r\n", BOUNDARY.encode() + b"junk\r\n", 1), "", "characters after the boundary"),
    rejected("part_without_empty_line_after_headers_is_rejected_rfc_2046", multipart_body(({"Content-Type": "application/json"}, b"")).replace(b"application/json\r\n\r\n", b"application/json\r\n"), "", "part 1 has no empty line after its headers"),
    rejected("malformed_header_line_is_rejected_rfc_2045", body_with(make_statement(attachments=[text_attachment()]), TEXT).replace(b"Content-Type:text/plain", b"no colon here\r\nContent-Type:text/plain"), "", "part 2 has a malformed header line 'no colon here'"),
    rejected("repeated_hash_header_is_rejected_1_5_2_s2_b2_b3", multipart_body(json_part(make_statement(attachments=[text_attachment()])), ({"X-Experience-API-Hash": TEXT_SHA2, "x-experience-api-hash": OTHER_SHA2, "Content-Transfer-Encoding": "binary"}, TEXT)), "", "part 2 has the header 'x-experience-api-hash' more than once"),
    rejected("first_part_not_json_is_rejected_1_5_2_s2_b2_b1", multipart_body(({"Content-Type": "text/plain"}, orjson.dumps(make_statement()))), "", "the first part must have Content-Type application/json and hold the statements; it has 'text/plain'"),
    rejected("first_part_without_content_type_is_rejected_1_5_2_s2_b2_b6", multipart_body(({}, orjson.dumps(make_statement()))), "", "the first part must have Content-Type application/json and hold the statements; it has none"),
    rejected("non_ascii_attachment_content_type_is_rejected_issue_10", multipart_body(json_part(make_statement(attachments=[text_attachment()])), data_part(TEXT, Content_Type="text/plain; name=\u00e9")), "", f"the Content-Type of attachment {TEXT_SHA2} is not a media type"),
    rejected("first_part_with_invalid_json_is_rejected_1_5_2_s1_b3", multipart_body(({"Content-Type": "application/json"}, b'{"actor": ')), "", "the first part is not usable JSON: invalid JSON"),
    rejected("first_part_with_invalid_statement_is_rejected_1_5_2_s1_b3", body_with(make_statement(actor={"objectType": "Agent"})), "actor", "inverse functional identifier"),
    rejected("statements_split_over_two_json_parts_are_rejected_1_5_2_s2_b2_b1", multipart_body(json_part(make_statement()), json_part(make_statement())), "", "part 2 has no X-Experience-API-Hash header"),
    rejected("part_without_hash_header_is_rejected_1_5_2_s2_b2_b3", multipart_body(json_part(make_statement(attachments=[text_attachment()])), data_part(TEXT, X_Experience_API_Hash=None)), "", "part 2 has no X-Experience-API-Hash header; every part after the first must have one (1.5.2.s2.b2.b3)"),
    rejected("part_without_transfer_encoding_is_rejected_1_5_2_s2_b2_b4", multipart_body(json_part(make_statement(attachments=[text_attachment()])), data_part(TEXT, Content_Transfer_Encoding=None)), "", "part 2 must have the header Content-Transfer-Encoding: binary; it has none (1.5.2.s2.b2.b4)"),
    rejected("part_with_base64_transfer_encoding_is_rejected_1_5_2_s2_b2_b4", multipart_body(json_part(make_statement(attachments=[text_attachment()])), data_part(TEXT, Content_Transfer_Encoding="base64")), "", "part 2 must have the header Content-Transfer-Encoding: binary; it has 'base64'"),
    rejected("part_whose_data_does_not_match_its_hash_is_rejected_1_5_2_s1_b4", multipart_body(json_part(make_statement(attachments=[text_attachment()])), data_part(TEXT + b"!", X_Experience_API_Hash=TEXT_SHA2)), "", f"the data of part 2 does not hash to its X-Experience-API-Hash '{TEXT_SHA2}'"),
    rejected("part_whose_hash_is_not_sha2_hex_is_rejected_1_5_2_s1_b4", multipart_body(json_part(make_statement(attachments=[text_attachment()])), data_part(TEXT, X_Experience_API_Hash="not-a-hash")), "", "part 2 has X-Experience-API-Hash 'not-a-hash', which is not the hex digest of a SHA-2 function"),
    rejected("attachment_without_file_url_or_part_is_rejected_1_5_2_s3_b5", body_with(make_statement(attachments=[text_attachment()])), "attachments[0].sha2", "matches no attachment part, and the attachment has no fileUrl (1.5.2.s3.b5)"),
    rejected("second_attachment_without_part_is_rejected_1_5_2_s3_b5", body_with(make_statement(attachments=[text_attachment(), other_attachment()]), TEXT), "attachments[1].sha2", "matches no attachment part"),
    rejected("batch_attachment_without_part_is_rejected_with_its_index_1_5_2_s3_b5", body_with([make_statement(), make_statement(id=REMOVE, attachments=[text_attachment()])]), "[1].attachments[0].sha2", "matches no attachment part"),
    rejected("sub_statement_attachment_without_part_is_rejected_1_5_2_s3_b5", body_with(make_statement(object=make_sub_statement(attachments=[text_attachment()]))), "object.attachments[0].sha2", "matches no attachment part"),
    rejected("part_matching_no_attachment_object_is_rejected_1_5_2_s1_b4", body_with(make_statement(attachments=[text_attachment()]), TEXT, OTHER_TEXT), "", f"part 3 (X-Experience-API-Hash {OTHER_SHA2}) matches the sha2 of no attachment of the statements (1.5.2.s1.b4)"),
    rejected("part_for_a_statement_without_attachments_is_rejected_1_5_2_s1_b4", body_with(make_statement(), TEXT), "", "part 2 (X-Experience-API-Hash"),
]
# fmt: on


@pytest.mark.parametrize(("body", "content_type", "attachments"), ACCEPTED)
def test_statement_request_is_accepted_with_its_attachments(
    body: bytes, content_type: str, attachments: dict[str, bytes]
) -> None:
    request = parse_statement_request(body, content_type)

    assert request.attachments == attachments
    assert set(request.content_types) == set(attachments)
    assert request.statements


@pytest.mark.parametrize(("body", "content_type", "path", "reason"), REJECTED)
def test_statement_request_is_rejected_with_a_reason(
    body: bytes, content_type: str, path: str, reason: str
) -> None:
    with pytest.raises(StatementInvalid) as caught:
        parse_statement_request(body, content_type)

    assert caught.value.path == path
    assert reason in caught.value.reason


def test_first_part_holds_the_statements_1_5_2_s2_b2_b1() -> None:
    batch = [make_statement(attachments=[text_attachment()]), make_statement(id=REMOVE)]

    request = parse_statement_request(body_with(batch, TEXT), CONTENT_TYPE)

    assert request.statements == parse_statements(batch)
    assert request.in_array


def test_single_statement_is_not_taken_as_an_array() -> None:
    request = parse_statement_request(body_with(make_statement()), CONTENT_TYPE)

    assert not request.in_array
    assert request.statements == [parse_statement(make_statement())]


def test_content_type_of_a_part_is_kept_1_5_2_s2_b2_b6() -> None:
    body = multipart_body(
        json_part(make_statement(attachments=[text_attachment(contentType="text/plain")])),
        data_part(TEXT, Content_Type="text/plain; charset=ascii"),
    )

    request = parse_statement_request(body, CONTENT_TYPE)

    assert request.content_types == {TEXT_SHA2: "text/plain; charset=ascii"}


def test_part_without_content_type_takes_the_attachment_content_type_2_4_11() -> None:
    body = multipart_body(
        json_part(make_statement(attachments=[text_attachment(contentType="image/png")])),
        data_part(TEXT, Content_Type=None),
    )

    request = parse_statement_request(body, CONTENT_TYPE)

    assert request.content_types == {TEXT_SHA2: "image/png"}


def test_folded_header_is_unfolded_rfc_5322() -> None:
    body = body_with(make_statement(attachments=[text_attachment()]), TEXT).replace(
        b"Content-Type:text/plain\r\n", b"Content-Type:text/plain;\r\n charset=ascii\r\n"
    )

    request = parse_statement_request(body, CONTENT_TYPE)

    assert request.content_types == {TEXT_SHA2: "text/plain; charset=ascii"}


def test_attachments_of_a_few_megabytes_are_split_exactly() -> None:
    data = os.urandom(4 * 1024 * 1024) + b"\r\n--" + b"\r\n" * 1000
    sha2 = hashlib.sha256(data).hexdigest()
    statement = make_statement(attachments=[text_attachment(length=len(data), sha2=sha2)])

    request = parse_statement_request(body_with(statement, data), CONTENT_TYPE)

    assert request.attachments == {sha2: data}


# --- application/json bodies (1.5.1, 1.5.2.s2.b1) ----------------------------------------------

# fmt: off
JSON_ONLY_REJECTED = [
    pytest.param([make_statement(attachments=[text_attachment()])], False, "attachments[0].fileUrl", id="json_attachment_without_file_url_is_rejected_1_5_2_s2_b1"),
    pytest.param([make_statement(attachments=[text_attachment(fileUrl=FILE_URL), other_attachment()])], False, "attachments[1].fileUrl", id="json_second_attachment_without_file_url_is_rejected_1_5_2_s2_b1"),
    pytest.param([make_statement(), make_statement(id=REMOVE, attachments=[text_attachment()])], True, "[1].attachments[0].fileUrl", id="json_batch_attachment_without_file_url_is_rejected_with_its_index_1_5_2_s2_b1"),
    pytest.param([make_statement(object=make_sub_statement(attachments=[text_attachment()]))], False, "object.attachments[0].fileUrl", id="json_sub_statement_attachment_without_file_url_is_rejected_1_5_2_s2_b1"),
]
# fmt: on


@pytest.mark.parametrize(
    "statements",
    [
        pytest.param(
            [make_statement()], id="json_statement_without_attachments_is_accepted_1_5_1_s1_b1"
        ),
        pytest.param(
            [make_statement(attachments=[text_attachment(fileUrl=FILE_URL)])],
            id="json_statement_whose_attachments_have_file_urls_is_accepted_1_5_1_s1_b2",
        ),
    ],
)
def test_json_body_with_file_urls_only_is_accepted(statements: list[dict[str, Any]]) -> None:
    check_json_only_attachments(parse_statements(statements))


@pytest.mark.parametrize(("statements", "in_array", "path"), JSON_ONLY_REJECTED)
def test_json_body_where_an_attachment_lacks_file_url_is_rejected(
    statements: list[dict[str, Any]], in_array: bool, path: str
) -> None:
    with pytest.raises(StatementInvalid) as caught:
        check_json_only_attachments(parse_statements(statements), in_array=in_array)

    assert caught.value.path == path
    assert "(1.5.2.s2.b1)" in caught.value.reason


def test_json_batch_paths_default_to_array_indexes_when_there_are_several() -> None:
    statements = parse_statements(
        [make_statement(), make_statement(attachments=[text_attachment()])]
    )

    with pytest.raises(StatementInvalid) as caught:
        check_json_only_attachments(statements)

    assert caught.value.path == "[1].attachments[0].fileUrl"


# --- Responses (2.1.3.s2.b6) -------------------------------------------------------------------


def parsed_response(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a response as the standard library's MIME parser reads them."""
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=email.policy.HTTP
    )
    assert message.get_content_type() == "multipart/mixed"
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append(({name.lower(): str(value) for name, value in part.items()}, payload))
    return parts


def built_response(
    first_part: bytes | Mapping[str, Any], attachments: Mapping[str, tuple[str, bytes]]
) -> tuple[bytes, str]:
    """A whole answer, its pieces joined in the order the API streams them."""
    answer = StatementResponse(
        first_part if isinstance(first_part, bytes) else orjson.dumps(first_part)
    )
    pieces = [answer.opening()]
    for sha2, (content_type, data) in attachments.items():
        pieces += [answer.attachment_head(sha2, content_type), data]
    return b"".join([*pieces, answer.closing()]), answer.content_type


def test_response_puts_the_statement_first_and_attachments_after_1_5_2_s2_b2() -> None:
    statement = make_statement(attachments=[text_attachment(), other_attachment()])

    body, content_type = built_response(
        statement, {TEXT_SHA2: ("text/plain", TEXT), OTHER_SHA2: ("text/plain", OTHER_TEXT)}
    )

    first, *attachments = parsed_response(body, content_type)
    assert first[0]["content-type"] == "application/json"
    assert orjson.loads(first[1]) == statement
    assert attachments == [
        (
            {
                "content-type": "text/plain",
                "content-transfer-encoding": "binary",
                "x-experience-api-hash": sha2,
            },
            data,
        )
        for sha2, data in [(TEXT_SHA2, TEXT), (OTHER_SHA2, OTHER_TEXT)]
    ]


def test_response_can_be_read_back_as_a_statement_request_1_5_2_s3_b1() -> None:
    statement = make_statement(
        attachments=[
            text_attachment(length=len(TRICKY_DATA), sha2=TRICKY_SHA2),
            other_attachment(fileUrl=FILE_URL),
        ]
    )

    body, content_type = built_response(
        statement, {TRICKY_SHA2: ("application/octet-stream", TRICKY_DATA)}
    )

    request = parse_statement_request(body, content_type)
    assert request.statements == [parse_statement(statement)]
    assert request.attachments == {TRICKY_SHA2: TRICKY_DATA}
    assert request.content_types == {TRICKY_SHA2: "application/octet-stream"}


def test_response_uses_serialized_json_verbatim() -> None:
    document = b'{"statements": [], "more": ""}'

    body, content_type = built_response(document, {})

    assert parsed_response(body, content_type) == [({"content-type": "application/json"}, document)]


def test_response_boundary_never_occurs_in_the_statements_part_rfc_2046(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = iter(["taken", "free"])
    monkeypatch.setattr(
        "learning_record.domain.xapi.multipart.secrets.token_hex", lambda _: next(tokens)
    )

    body, content_type = built_response(b'{"note": "xapi-taken"}', {})

    assert content_type == "multipart/mixed; boundary=xapi-free"
    assert body.startswith(b"--xapi-free\r\n")
