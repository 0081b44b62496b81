"""Custom JSON and CSV records through a declarative YAML mapping, which never runs code."""
# Case tables keep one case per line, hence the formatter fences and this exemption.
# ruff: noqa: E501

from typing import Any

import pytest

from learning_record.domain.process import (
    ConversionFailed,
    MappingInvalid,
    load_mapping,
    process,
)
from tests.unit.process.support import DATA, SECRET, pseudonym

EXPORT = (DATA / "custom" / "lms-export.csv").read_text()
EXPORT_MAPPING = load_mapping((DATA / "custom" / "lms-export.yaml").read_text())
COURSE = {
    "objectType": "Activity",
    "id": "https://lms.example.org/courses/MATH-101",
    "definition": {
        "name": {"en": "Algebra 1"},
        "type": "http://adlnet.gov/expapi/activities/course",
    },
}
REGISTERED = "https://w3id.org/xapi/tla/verbs/registered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


def learner(email: str) -> dict[str, Any]:
    # mbox is keyed as its mbox_sha1sum (xAPI 2.4.2.3): the SHA-1 of the mailto IRI.
    import hashlib

    digest = hashlib.sha1(f"mailto:{email}".encode()).hexdigest()
    return {"objectType": "Agent", "account": pseudonym(f"mbox_sha1sum:{digest}")}


def test_a_csv_export_becomes_one_statement_per_row() -> None:
    result = process(EXPORT, tenant_secret=SECRET, mapping=EXPORT_MAPPING)
    ada, grace = learner("ada.lovelace@example.org"), learner("grace.hopper@example.org")
    assert [(s["actor"], s["verb"]["id"], s["timestamp"]) for s in result.statements] == [
        (ada, REGISTERED, "2024-03-14T09:12:00+01:00"),
        (ada, COMPLETED, "2024-03-28T17:45:00+01:00"),
        (grace, REGISTERED, "2024-03-15T08:01:00+01:00"),
        (grace, COMPLETED, "2024-03-29T10:30:00+01:00"),
    ]
    assert result.statements[1] == {
        "actor": ada,
        "verb": {"id": COMPLETED},
        "object": COURSE,
        "result": {"score": {"scaled": 0.82}, "success": True, "duration": "PT5720S"},
        "timestamp": "2024-03-28T17:45:00+01:00",
    }
    assert result.statements[3]["result"] == {
        "score": {"scaled": 0.47},
        "success": False,
        "duration": "PT3482S",
    }
    assert (result.meta.input_format, result.meta.input_version) == ("custom", "csv")
    assert result.meta.profile == ["lms/registered-course", None, "lms/registered-course", None]


def test_the_ip_column_is_mapped_then_removed_and_reported() -> None:
    result = process(EXPORT, tenant_secret=SECRET, mapping=EXPORT_MAPPING)
    ip = 'context.extensions["http://id.tincanapi.com/extension/ip-address"]'
    assert result.meta.privacy.touched[:2] == ["[0].actor", f"[0].{ip}"]
    assert "198.51.100.23" not in str(result.output_trace)


JSON_MAPPING = """
input: json
records: payload.events
statement:
  actor: {account: {homePage: "https://app.example.com", name: {$path: user.id, $type: string}}}
  verb: {id: {$const: "http://id.tincanapi.com/verb/viewed"}}
  object:
    id: {$path: page, $prefix: "https://app.example.com/"}
  timestamp: {$path: at, $date: epoch_ms}
  result:
    duration: {$path: seconds, $duration: seconds}
    completion: {$path: done, $default: false}
"""


def test_json_records_are_found_by_path_and_typed() -> None:
    data = {
        "payload": {
            "events": [{"user": {"id": 42}, "page": "home", "at": 1710400000000, "seconds": 12.5}]
        }
    }
    result = process(data, tenant_secret=SECRET, mapping=load_mapping(JSON_MAPPING))
    assert result.output_trace == [
        {
            "actor": {"account": pseudonym("account:https://app.example.com|42")},
            "verb": {"id": "http://id.tincanapi.com/verb/viewed"},
            "object": {"id": "https://app.example.com/home"},
            "result": {"completion": False, "duration": "PT12.5S"},
            "timestamp": "2024-03-14T07:06:40.000+00:00",
        }
    ]


def test_a_value_missing_from_the_value_map_fails_naming_the_record_and_field() -> None:
    csv_text = EXPORT.replace(";complete;", ";unenrol;", 1)
    with pytest.raises(ConversionFailed) as caught:
        process(csv_text, tenant_secret=SECRET, mapping=EXPORT_MAPPING)
    assert (caught.value.path, caught.value.reason) == (
        "[1].event",
        "'unenrol' is not in the field's $map",
    )


def test_a_date_in_another_layout_fails_with_the_reason() -> None:
    csv_text = EXPORT.replace("28/03/2024 17:45", "2024-03-28", 1)
    with pytest.raises(ConversionFailed) as caught:
        process(csv_text, tenant_secret=SECRET, mapping=EXPORT_MAPPING)
    assert caught.value.path == "[1].when"
    assert caught.value.reason == "time data '2024-03-28' does not match format '%d/%m/%Y %H:%M'"


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        pytest.param("input: csv\nstatement: {a: !!python/object/apply:os.system [ls]}", "", "not YAML", id="python-tag"),
        pytest.param("input: csv\nx: &a [1]\nstatement: {y: *a}", "", "aliases (*name) are not allowed in a mapping", id="alias"),
        pytest.param("input: xml\nstatement: {}", "", "input: Input should be 'json' or 'csv'", id="unknown-input"),
        pytest.param("input: csv\nstatement: {verb: {$path: a, $eval: 'x'}}", "statement.verb", "$eval: Extra inputs are not permitted", id="unknown-operation"),
        pytest.param("input: csv\nstatement: {t: {$path: a, $date: iso, $duration: iso}}", "statement.t", "Value error, a field is parsed as a $date or a $duration, not both", id="two-parsers"),
        pytest.param("input: csv\nstatement: {t: {$path: a, $date: iso, $timezone: Mars/Olympus}}", "statement.t.$timezone", "not an IANA time zone name", id="time-zone"),
        pytest.param("input: csv\nstatement: {t: {$path: 'a[', $date: iso}}", "statement.t.$path", "malformed path 'a[' at character 2", id="path"),
    ],
)  # fmt: skip
def test_a_mapping_that_is_not_plain_declarative_data_is_refused(
    text: str, path: str, reason: str
) -> None:
    with pytest.raises(MappingInvalid) as caught:
        load_mapping(text)
    assert caught.value.path == path
    assert caught.value.reason.startswith(reason)


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [("seconds", "90", "PT90S"), ("minutes", "1.5", "PT90S"), ("milliseconds", 1500, "PT1.5S"), ("hh:mm:ss", "2:03", "PT123S"), ("iso", "PT1H", "PT1H")],
)  # fmt: skip
def test_durations_are_written_in_iso_8601(unit: str, value: object, expected: str) -> None:
    mapping = load_mapping(
        "input: json\nstatement:\n  actor: {mbox: 'mailto:a@example.com'}\n  verb: {id: 'http://example.com/v'}\n"
        f"  object: {{id: 'http://example.com/o'}}\n  result: {{duration: {{$path: d, $duration: '{unit}'}}}}\n"
    )
    result = process({"d": value}, tenant_secret=SECRET, mapping=mapping)
    assert result.statements[0]["result"] == {"duration": expected}
