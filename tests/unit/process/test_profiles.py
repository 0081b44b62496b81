"""DASES profile templates: detection by verb and activity type, enrichment, recommendations."""
# Case tables keep one case per line, hence the formatter fences and this exemption.
# ruff: noqa: E501

from typing import Any

import pytest

from learning_record.domain.process import process
from learning_record.domain.process.profiles import dases_rules
from tests.unit.factories import REMOVE, make_statement
from tests.unit.process.support import SECRET

ACCESSED = "https://w3id.org/xapi/netc/verbs/accessed"
REGISTERED = "https://w3id.org/xapi/tla/verbs/registered"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COURSE = "http://adlnet.gov/expapi/activities/course"
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
QUESTION = "http://adlnet.gov/expapi/activities/question"
COMMON_V1 = "http://schema.dases.eu/xapi/profile/common/v/1"
PROFILE = "http://adlnet.gov/expapi/activities/profile"
ROLE = '["http://schema.dases.eu/xapi/profile/common/extension/role"]'


def statement(verb: str, activity_type: Any, **overrides: Any) -> dict[str, Any]:
    return make_statement(verb={"id": verb}, object__definition__type=activity_type, **overrides)


def run(document: object) -> Any:
    return process(document, tenant_secret=SECRET)


@pytest.mark.parametrize(
    ("verb", "activity_type", "template"),
    [
        (ACCESSED, "https://w3id.org/xapi/acrossx/activities/webpage", "lms/accessed-page"),
        (ACCESSED, "http://activitystrea.ms/file", "lms/accessed-file"),
        (REGISTERED, COURSE, "lms/registered-course"),
        ("http://id.tincanapi.com/verb/unregistered", COURSE, "lms/unregistered-course"),
        ("http://id.tincanapi.com/verb/downloaded", "http://activitystrea.ms/file", "lms/downloaded-file"),
        (ANSWERED, QUESTION, "lms/answered-question"),
        ("http://adlnet.gov/expapi/verbs/completed", ASSESSMENT, "assessment/completed"),
        ("http://activitystrea.ms/start", ASSESSMENT, "assessment/started"),
        ("http://id.tincanapi.com/verb/viewed", "http://id.tincanapi.com/activitytype/community-site", "forum/viewed-forum"),
        ("https://w3id.org/xapi/dod-isd/verbs/updated", "https://w3id.org/xapi/acrossx/activities/message", "forum/updated-post"),
        ("http://adlnet.gov/expapi/verbs/completed", COURSE, None),
    ],
)  # fmt: skip
def test_a_template_is_recognised_by_verb_and_activity_type(
    verb: str, activity_type: str, template: str | None
) -> None:
    assert run(statement(verb, activity_type)).meta.profile == template


def test_an_answer_inside_an_assessment_follows_the_assessment_template() -> None:
    document = statement(
        ANSWERED,
        QUESTION,
        context={"contextActivities": {"parent": [{"id": "https://example.com/quiz", "definition": {"type": ASSESSMENT}}]}},
    )  # fmt: skip
    result = run(document)
    assert result.meta.profile == "assessment/answered-question"
    assert [(r.rule, r.path) for r in result.recommendations] == [
        ("assessment/answered-question: recommended", "result.score.max"),
        ("assessment/answered-question: included", "result.score.min"),
        ("assessment/answered-question: recommended", "result.success"),
        ("assessment/answered-question: recommended", "result.response"),
        ("assessment/answered-question: recommended", "result.score.scaled"),
        ("assessment/answered-question: included", "object.definition.interactionType"),
    ]


def test_the_template_fills_the_verb_display_the_type_and_the_profile_category() -> None:
    result = run(statement(REGISTERED, REMOVE))
    trace = result.output_trace
    assert trace["verb"] == {"id": REGISTERED, "display": {"en-US": "registered"}}
    assert trace["object"]["definition"]["type"] == COURSE
    assert trace["context"]["contextActivities"]["category"] == [
        {"objectType": "Activity", "id": COMMON_V1, "definition": {"type": PROFILE}}
    ]
    assert result.meta.enriched == [
        "verb.display",
        "object.definition.type",
        "context.contextActivities.category[0]",
    ]


def test_an_ambiguous_verb_without_type_matches_no_template() -> None:
    # "accessed" is a page or a file: without the type, neither is assumed.
    assert run(statement(ACCESSED, REMOVE)).meta.profile is None


def test_missing_and_wrong_recommended_properties_are_reported_with_what_was_found() -> None:
    document = statement(
        "https://w3id.org/xapi/netc/verbs/accessed",
        "https://w3id.org/xapi/acrossx/activities/webpage",
        object__definition__extensions={"https://w3id.org/xapi/acrossx/extensions/type": "forum"},
    )
    result = run(document)
    assert [r.model_dump() for r in result.recommendations] == [
        {
            "rule": "lms/accessed-page: recommended",
            "path": 'object.definition.extensions["https://w3id.org/xapi/acrossx/extensions/type"]',
            "expected": 'one of ["course", "course_list", "user_space"]',
            "actual": "forum",
        }
    ]


def test_recommendations_of_an_array_carry_the_statement_index() -> None:
    documents = [
        statement(REGISTERED, COURSE, id=REMOVE, context={"extensions": {ROLE[2:-2]: "learner"}}),
        statement(REGISTERED, COURSE, id=REMOVE),
    ]
    paths = [r.path for r in run(documents).recommendations]
    assert paths[2:] == [
        '[1].context.extensions["http://schema.dases.eu/xapi/profile/common/extension/starting-date"]',
        '[1].context.extensions["http://schema.dases.eu/xapi/profile/common/extension/ending-date"]',
        f"[1].context.extensions{ROLE}",
    ]


def test_the_rules_ship_in_the_package_with_the_three_profiles() -> None:
    rules = dases_rules()
    assert [profile.name for profile in rules.profiles] == ["assessment", "lms", "forum"]
    assert sum(len(profile.templates) for profile in rules.profiles) == 18
