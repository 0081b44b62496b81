"""Dead letters keep the original record's headers, so that it can be sent again as it was."""

import re

import pytest

from learning_record.domain.dead_letters import DeadLetter, dead_letter_headers, offsets_of

RAW_HEADERS = {"lr-tenant": b"acme", "lr-mapping": b"lms-export", "lr-input-format": b"custom"}


def dead_letter(headers: dict[str, bytes]) -> DeadLetter:
    return DeadLetter(offset=3, timestamp_ms=0, key=None, value=b"x", headers=headers)


def test_a_dead_letter_adds_why_and_where_from_to_the_original_headers() -> None:
    headers = dead_letter_headers(
        RAW_HEADERS,
        tenant="acme",
        reason="custom: [0]: no verb",
        source=("lr.statements.raw", 2, 41),
        input_formats=("custom",),
    )
    assert headers == {
        **RAW_HEADERS,
        "lr-dlq-reason": b"custom: [0]: no verb",
        "lr-source-topic": b"lr.statements.raw",
        "lr-source-partition": b"2",
        "lr-source-offset": b"41",
        "lr-dlq-input-format": b"custom",
    }
    parked = dead_letter(headers)
    assert (parked.tenant, parked.reason, parked.source_topic) == (
        "acme",
        "custom: [0]: no verb",
        "lr.statements.raw",
    )
    assert (parked.source_position, parked.input_formats) == ("2/41", ["custom"])
    assert parked.original_headers() == RAW_HEADERS


def test_a_record_without_a_tenant_is_sent_again_as_the_default_tenants() -> None:
    headers = dead_letter_headers(
        {}, tenant="default", reason="empty record", source=("lr.statements", 0, 5)
    )
    assert dead_letter(headers).original_headers() == {"lr-tenant": b"default"}
    assert dead_letter(headers).input_formats == []


def test_a_dead_letter_parked_again_says_only_its_last_reason() -> None:
    first = dead_letter_headers(
        RAW_HEADERS, tenant="acme", reason="first", source=("lr.statements.raw", 0, 1)
    )
    second = dead_letter_headers(first, tenant="acme", reason="second", source=("t", 1, 9))
    assert dead_letter(second).reason == "second"
    assert dead_letter(second).source_position == "1/9"


@pytest.mark.parametrize(("spec", "offsets"), [("12", [12]), ("3-5", [3, 4, 5]), ("0-0", [0])])
def test_offsets_are_one_or_a_range_with_both_ends(spec: str, offsets: list[int]) -> None:
    assert list(offsets_of(spec)) == offsets


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("x", "'x' is not an offset (12) or a range of offsets (12-20)"),
        ("-1", "'-1' is not an offset (12) or a range of offsets (12-20)"),
        ("5-3", "'5-3': offsets are 0 or more, the range's first one first"),
    ],
)
def test_other_offsets_are_refused_saying_what_is_expected(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as refused:
        offsets_of(spec)
    assert str(refused.value) == message
