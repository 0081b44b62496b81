"""Document parameters, merges and preconditions (xAPI Communication 2.2 to 2.7, 3.1)."""

from __future__ import annotations

import pytest

from learning_record.domain.documents import (
    ActivityProfileParameters,
    AgentProfileParameters,
    Document,
    DocumentAddress,
    DocumentContext,
    DocumentInvalid,
    DocumentKind,
    PreconditionFailed,
    Preconditions,
    StateParameters,
    etag_of,
    merged,
    parse_document_request,
)

AGENT = '{"mbox":"mailto:a@example.com"}'
ACTIVITY = "https://example.com/a"
REGISTRATION = "9E2A1AD4-6E5B-4A2F-8B0E-0B2C1F0E7D11"


def test_state_parameters_name_the_context_with_the_agent_s_ifi_and_lowercase_registration() -> (
    None
):
    request = parse_document_request(
        StateParameters,
        {"activityId": ACTIVITY, "agent": AGENT, "registration": REGISTRATION, "stateId": "s"},
    )

    assert request.context == DocumentContext(
        DocumentKind.STATE, ACTIVITY, "mbox:mailto:a@example.com", REGISTRATION.lower()
    )
    assert request.document_id == "s"
    assert request.address("stateId").slot == f"{REGISTRATION.lower()}|s"


@pytest.mark.parametrize(
    ("model", "params", "message"),
    [
        (StateParameters, {"activityId": ACTIVITY, "agent": AGENT, "x": "1"}, "x: Extra inputs"),
        (StateParameters, {"activityId": ACTIVITY}, "agent: Field required"),
        (AgentProfileParameters, {"agent": '{"objectType":"Group","member":[]}'}, "agent: Value"),
        (AgentProfileParameters, {"agent": "{"}, "agent: Value error, must be an Agent as JSON"),
        (ActivityProfileParameters, {"activityId": "no iri"}, "activityId: String should match"),
        (
            ActivityProfileParameters,
            {"activityId": ACTIVITY, "profileId": "p", "since": "2026-01-01T00:00:00Z"},
            "since lists ids: it cannot be combined with a document id",
        ),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(
    model: type[StateParameters], params: dict[str, str], message: str
) -> None:
    with pytest.raises(DocumentInvalid) as raised:
        parse_document_request(model, params)

    assert str(raised.value).startswith(message)


def test_a_store_needs_the_document_id() -> None:
    request = parse_document_request(ActivityProfileParameters, {"activityId": ACTIVITY})

    with pytest.raises(DocumentInvalid, match="profileId is required"):
        request.address("profileId")


def test_the_record_key_names_every_identifying_parameter_and_reads_back() -> None:
    context = DocumentContext(DocumentKind.STATE, ACTIVITY, "mbox:mailto:a@b.c", "r")
    address = DocumentAddress(context, "s")

    key = address.record_key("acme")

    assert key == b'["acme","state","https://example.com/a","mbox:mailto:a@b.c","r","s"]'
    assert DocumentAddress.from_record_key(key) == ("acme", address)


def test_the_etag_is_the_lowercase_hex_sha1_of_the_content_3_1_s4_b2() -> None:
    assert etag_of(b"") == "da39a3ee5e6b4b0d3255bfef95601890afd80709"


def test_merge_sets_top_level_properties_only_2_2_s7() -> None:
    existing = Document("application/json; charset=utf-8", b'{"x":"foo","o":{"a":1}}', 1)

    assert merged(existing, "application/json", b'{"x":"bash","o":{"b":2}}') == (
        b'{"x":"bash","o":{"b":2}}'
    )


@pytest.mark.parametrize(
    ("if_match", "if_none_match", "current", "holds"),
    [
        ('"abc"', None, "abc", True),
        ('"x", "abc"', None, "abc", True),
        ('"abc"', None, "def", False),
        ('"abc"', None, None, False),
        ("*", None, None, False),
        ("*", None, "abc", True),
        ('W/"abc"', None, "abc", False),
        (None, "*", None, True),
        (None, "*", "abc", False),
        (None, '"abc"', "abc", False),
        (None, '"abc"', "def", True),
    ],
)
def test_preconditions_as_rfc_7232_reads_them(
    if_match: str | None, if_none_match: str | None, current: str | None, holds: bool
) -> None:
    preconditions = Preconditions.from_headers(if_match, if_none_match)

    if holds:
        preconditions.check(current)
    else:
        with pytest.raises(PreconditionFailed):
            preconditions.check(current)


def test_an_unquoted_entity_tag_is_400() -> None:
    with pytest.raises(DocumentInvalid, match="quoted entity tag"):
        Preconditions.from_headers("abc", None)
