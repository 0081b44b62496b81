"""SCORM 2004 CMI run-time data, as an LMS reports an attempt, to xAPI statements."""

import pytest

from learning_record.domain.process import ConversionFailed, UndetectableInput, process
from tests.unit.process.support import SECRET, load, pseudonym

LMS = "https://lms.example.org"
ADA = {"objectType": "Agent", "account": pseudonym(f"account:{LMS}|student-20871")}
SCO_3 = {
    "objectType": "Activity",
    "id": f"{LMS}/course/42/scorm/sco-3",
    "definition": {
        "name": {"und": "Module 3: Fractions"},
        "type": "http://adlnet.gov/expapi/activities/lesson",
    },
}
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


def test_a_completed_and_passed_attempt_gives_a_completed_and_a_passed_statement() -> None:
    result = process(load("scorm-2004/passed.json"), tenant_secret=SECRET)
    outcome = {
        "score": {"scaled": 0.85, "raw": 17, "min": 0, "max": 20},
        "success": True,
        "completion": True,
        "duration": "PT23M41.5S",
        "extensions": {PROGRESS: 100},
    }
    assert result.output_trace == [
        {
            "actor": ADA,
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
            "object": SCO_3,
            "result": outcome,
            "timestamp": "2024-03-14T16:42:10+01:00",
        }
        for verb in ("completed", "passed")
    ]
    assert (result.meta.input_format, result.meta.input_version) == ("scorm", "2004")
    assert result.meta.privacy.touched == ["[0].actor", "[1].actor"]


def test_nested_cmi_data_of_an_incomplete_attempt_gives_one_progressed_statement() -> None:
    result = process(load("scorm-2004/incomplete.json"), tenant_secret=SECRET)
    statement = result.output_trace
    assert isinstance(statement, dict)  # one statement, not an array of one
    assert statement["actor"] == ADA
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/progressed"
    assert statement["object"]["id"] == f"{LMS}/course/42/scorm/sco-4"
    assert statement["result"] == {
        "score": {"scaled": 0.5},
        "completion": False,
        "duration": "PT12M3S",
        "extensions": {PROGRESS: 40},
    }


def test_a_failed_attempt_gives_completed_then_failed_for_another_learner() -> None:
    result = process(load("scorm-2004/failed.json"), tenant_secret=SECRET)
    assert [s["verb"]["id"] for s in result.statements] == [
        "http://adlnet.gov/expapi/verbs/completed",
        "http://adlnet.gov/expapi/verbs/failed",
    ]
    assert result.statements[1]["result"]["success"] is False
    assert result.statements[0]["actor"]["account"] == pseudonym(f"account:{LMS}|student-31377")


def test_the_learner_name_never_reaches_the_statement() -> None:
    result = process(load("scorm-2004/passed.json"), tenant_secret=SECRET)
    assert "Lovelace" not in str(result.output_trace)


def test_a_score_that_is_not_a_real_number_fails_naming_the_element() -> None:
    report = load("scorm-2004/failed.json") | {"cmi.score.scaled": "high"}
    with pytest.raises(ConversionFailed) as caught:
        process(report, tenant_secret=SECRET)
    assert (caught.value.path, caught.value.reason) == (
        "cmi.score.scaled",
        "must be a real number; got 'high'",
    )


def test_a_session_time_in_scorm_12_format_is_refused() -> None:
    report = load("scorm-2004/failed.json") | {"cmi.session_time": "0000:41:00"}
    with pytest.raises(ConversionFailed) as caught:
        process(report, tenant_secret=SECRET)
    assert caught.value.path == "cmi.session_time"


def test_a_report_without_activity_id_fails() -> None:
    report = load("scorm-2004/failed.json")
    del report["activity_id"]
    with pytest.raises(ConversionFailed) as caught:
        process(report, tenant_secret=SECRET)
    assert (caught.value.path, caught.value.reason) == ("activity_id", "must be a non-empty string")


def test_cmi_data_without_learner_is_not_taken_for_scorm() -> None:
    report = load("scorm-2004/failed.json")
    del report["cmi.learner_id"]
    with pytest.raises(UndetectableInput) as caught:
        process(report, input_format="scorm", tenant_secret=SECRET)
    assert [(r.input_format, r.reason) for r in caught.value.rejections] == [
        ("scorm", "no cmi.learner_id")
    ]
