"""What `lr dlq` prints of a dead letter: list masks personal data, show prints everything."""

from learning_record.cli.dead_letter_admin import details, offset_spans, summary
from learning_record.domain.dead_letters import DeadLetter, dead_letter_headers

HEADERS = dead_letter_headers(
    {"lr-tenant": b"acme", "lr-mapping": b"lms-export"},
    tenant="acme",
    reason="custom: [0].verb.id: 'ada@example.org' is not in $map",
    source=("lr.statements.raw", 3, 17),
    input_formats=("custom",),
)
LETTER = DeadLetter(
    offset=4,
    timestamp_ms=1_795_000_000_000,
    key=None,
    value=b"ada@example.org;Ada Lovelace",
    headers=HEADERS,
)


def test_the_list_says_where_when_and_why_without_personal_data() -> None:
    assert summary(LETTER) == {
        "offset": 4,
        "time": "2026-11-18T11:06:40+00:00",
        "tenant": "acme",
        "source": "lr.statements.raw[3/17]",
        "input_formats": ["custom"],
        "reason": "custom: [0].verb.id: '[email]' is not in $map",
    }


def test_show_prints_the_record_as_it_was_sent() -> None:
    shown = details(LETTER)
    assert shown["reason"] == "custom: [0].verb.id: 'ada@example.org' is not in $map"
    assert shown["value"] == "ada@example.org;Ada Lovelace"
    assert shown["key"] is None
    assert shown["headers"]["lr-mapping"] == "lms-export"
    assert shown["headers"]["lr-source-offset"] == "17"


def test_offsets_are_reported_as_spans() -> None:
    assert offset_spans([3, 5, 6, 7, 9]) == "3, 5-7, 9"
