"""Caliper 1.1 and 1.2 events of every profile, single and in envelopes, to valid xAPI."""
# Case tables keep one case per line, hence the formatter fences and this exemption.
# ruff: noqa: E501

from typing import Any

import pytest

from learning_record.domain.process import ConversionFailed, PrivacyMode, process
from tests.unit.process.support import SECRET, load, pseudonym

ADA = pseudonym("account:https://example.edu|https://example.edu/users/554433")
BABBAGE = pseudonym("account:https://example.edu|https://example.edu/users/112233")
COURSE = "https://example.edu/terms/201801/courses/7/sections/1"
CALIPER = "http://purl.imsglobal.org/caliper/"
ADL = "http://adlnet.gov/expapi/verbs/"

# Event file -> (verb, object activity type, DASES template or None).
EXPECTED: dict[str, tuple[str, str, str | None]] = {
    "session-logged-in": ("https://w3id.org/xapi/adl/verbs/logged-in", f"{CALIPER}SoftwareApplication", None),
    "session-timed-out": ("https://w3id.org/xapi/adl/verbs/abandoned", f"{CALIPER}Session", None),
    "navigation": ("https://w3id.org/xapi/netc/verbs/accessed", "https://w3id.org/xapi/acrossx/activities/webpage", "lms/accessed-page"),
    "view": ("http://id.tincanapi.com/verb/viewed", "http://id.tincanapi.com/activitytype/document", None),
    "reading": ("https://w3id.org/xapi/netc/verbs/accessed", f"{CALIPER}Page", None),
    "assessment-started": ("http://activitystrea.ms/start", "http://adlnet.gov/expapi/activities/assessment", "assessment/started"),
    "assessment-submitted": (f"{ADL}completed", "http://adlnet.gov/expapi/activities/assessment", "assessment/completed"),
    "assessment-item-started": ("http://activitystrea.ms/start", "http://adlnet.gov/expapi/activities/question", None),
    "assessment-item-completed": (f"{ADL}answered", "http://adlnet.gov/expapi/activities/question", "assessment/answered-question"),
    "assignable-activated": ("http://purl.imsglobal.org/vocab/caliper/v1/action#Activated", f"{CALIPER}AssignableDigitalResource", None),
    "assignable-submitted": ("http://activitystrea.ms/submit", f"{CALIPER}AssignableDigitalResource", None),
    "grading": (f"{ADL}scored", "http://adlnet.gov/expapi/activities/assessment", None),
    "media-started": ("https://w3id.org/xapi/video/verbs/played", "https://w3id.org/xapi/video/activity-type/video", None),
    "media-paused": ("https://w3id.org/xapi/video/verbs/paused", "https://w3id.org/xapi/video/activity-type/video", None),
    "forum": ("http://purl.imsglobal.org/vocab/caliper/v1/action#Subscribed", "http://id.tincanapi.com/activitytype/community-site", None),
    "thread": ("http://purl.imsglobal.org/vocab/caliper/v1/action#MarkedAsRead", "http://id.tincanapi.com/activitytype/discussion", None),
    "message": ("https://w3id.org/xapi/dod-isd/verbs/created", "https://w3id.org/xapi/acrossx/activities/message", "forum/created-post"),
    "annotation": ("http://purl.imsglobal.org/vocab/caliper/v1/action#Highlighted", "http://id.tincanapi.com/activitytype/document", None),
    "tool-use": ("http://activitystrea.ms/use", f"{CALIPER}SoftwareApplication", None),
    "search": ("http://activitystrea.ms/search", f"{CALIPER}SoftwareApplication", None),
}  # fmt: skip

EVENTS = [
    pytest.param(version, name, id=f"{version}-{name}")
    for version in ("1.1", "1.2")
    for name in EXPECTED
    # The Search profile arrived with Caliper 1.2.
    if not (version == "1.1" and name == "search")
]


def convert(data: Any, **options: Any) -> Any:
    return process(data, tenant_secret=SECRET, **options)


@pytest.mark.parametrize(("version", "name"), EVENTS)
def test_each_profile_event_becomes_the_statement_of_its_meaning(version: str, name: str) -> None:
    event = load(f"caliper-{version}/{name}.json")
    result = convert(event)
    statement = result.output_trace
    verb, activity_type, template = EXPECTED[name]
    assert statement["id"] == event["id"].removeprefix("urn:uuid:")
    assert statement["verb"]["id"] == verb
    assert statement["object"]["definition"]["type"] == activity_type
    # An instructor activates an assignment; learners do everything else.
    actor = BABBAGE if name == "assignable-activated" else ADA
    assert statement["actor"] == {"objectType": "Agent", "account": actor}
    assert statement["timestamp"] == event["eventTime"]
    assert result.meta.input_format == "caliper"
    assert result.meta.input_version == version
    assert result.meta.profile == template


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_every_event_of_an_envelope_is_converted_not_only_the_first(version: str) -> None:
    envelope = load(f"caliper-{version}-envelope.json")
    events = envelope["data"][1:]
    result = convert(envelope)
    assert [s["id"] for s in result.output_trace] == [e["id"][9:] for e in events]
    assert len(result.output_trace) == len(EXPECTED) - (version == "1.1")
    assert [m.model_dump() for m in result.meta.skipped] == [
        {"source": "data[0]", "reason": "not a Caliper event (an entity describe or other)"}
    ]
    assert result.meta.privacy.touched[:2] == ["[0].actor", "[0].context.extensions"
        '["http://purl.imsglobal.org/caliper/extensions"].client.userAgent']  # fmt: skip


def test_a_navigation_event_is_converted_exactly() -> None:
    result = convert(load("caliper-1.2/navigation.json"))
    assert result.output_trace == {
        "id": "ff9ec22a-fc59-4ae1-ae8d-2c9463ee2f8f",
        "actor": {"objectType": "Agent", "account": ADA},
        "verb": {
            "id": "https://w3id.org/xapi/netc/verbs/accessed",
            "display": {"en-US": "accessed"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"{COURSE}/pages/2",
            "definition": {
                "name": {"und": "Learning Analytics Specifications"},
                "description": {
                    "und": "Overview of Learning Analytics Specifications with particular "
                    "emphasis on IMS Caliper."
                },
                "type": "https://w3id.org/xapi/acrossx/activities/webpage",
            },
        },
        "context": {
            "contextActivities": {
                "parent": [
                    {
                        "objectType": "Activity",
                        "id": COURSE,
                        "definition": {
                            "name": {"und": "CPS 435-01"},
                            "type": "http://adlnet.gov/expapi/activities/course",
                        },
                    }
                ],
                "grouping": [
                    {
                        "objectType": "Activity",
                        "id": COURSE,
                        "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
                    }
                ],
                "category": [
                    {
                        "objectType": "Activity",
                        "id": "http://schema.dases.eu/xapi/profile/common/v/1",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/profile"},
                    },
                    {
                        "objectType": "Activity",
                        "id": "https://profiles.adlnet.gov/xapi/bf76a8cc-f46a-4065-aa7b-443df4efc2be/v/1",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/profile"},
                    },
                ],
            },
            "platform": "Example LMS",
            "extensions": {"http://schema.dases.eu/xapi/profile/common/extension/role": "learner"},
        },
        "timestamp": "2018-11-15T10:15:00.000Z",
    }


def test_a_grade_is_the_learners_score_on_the_assessment_not_the_graders() -> None:
    statement = convert(load("caliper-1.1/grading.json")).output_trace
    assert statement["actor"]["account"] == ADA
    assert statement["object"]["id"] == f"{COURSE}/assess/1"
    assert statement["result"] == {
        "score": {"scaled": 0.6667, "raw": 10.0, "min": 0, "max": 15.0},
        "duration": "PT50M12S",
    }


def test_a_timed_out_session_is_about_its_user_and_lasts_the_session() -> None:
    statement = convert(load("caliper-1.2/session-timed-out.json")).output_trace
    assert statement["actor"]["account"] == ADA
    assert statement["result"] == {"duration": "PT3900S"}


def test_an_answer_keeps_every_value_in_the_xapi_response_syntax() -> None:
    statement = convert(load("caliper-1.1/assessment-item-completed.json")).output_trace
    assert statement["result"] == {"response": "subject[,]object[,]predicate"}
    assert statement["context"]["contextActivities"]["parent"][0]["id"] == f"{COURSE}/assess/1"


def test_a_media_event_gives_the_playhead_time_not_the_video_length() -> None:
    statement = convert(load("caliper-1.2/media-paused.json")).output_trace
    assert statement["result"] == {
        "extensions": {"https://w3id.org/xapi/video/extensions/time": 1854.0}
    }


def test_a_search_keeps_the_terms_as_response() -> None:
    statement = convert(load("caliper-1.2/search.json")).output_trace
    assert statement["result"] == {"response": "IMS AND (Caliper OR Analytics)"}


def test_a_posted_message_body_is_scrubbed_of_contact_details() -> None:
    result = convert(load("caliper-1.2/message.json"))
    assert result.output_trace["object"]["definition"]["description"] == {
        "und": "The Caliper Information Model is described in section 3. "
        "Questions? Write to [email] or call [phone]."
    }
    assert result.meta.privacy.touched == ["actor", "object.definition.description.und"]


def test_a_client_ip_and_user_agent_in_event_extensions_are_removed() -> None:
    statement = convert(load("caliper-1.2/session-logged-in.json")).output_trace
    assert statement["context"]["extensions"] == {
        "http://purl.imsglobal.org/caliper/extensions": {"client": {}}
    }


def test_an_event_with_an_invalid_time_fails_with_the_path_and_the_xapi_reason() -> None:
    event = load("caliper-1.2/view.json") | {"eventTime": "yesterday"}
    with pytest.raises(ConversionFailed) as caught:
        convert(event)
    assert (caught.value.input_format, caught.value.path) == ("caliper", "")
    assert caught.value.reason.startswith(
        "the xAPI statement made from it is invalid at timestamp: must be an ISO 8601"
    )


def test_an_envelope_event_without_actor_fails_naming_the_event() -> None:
    envelope = load("caliper-1.2-envelope.json")
    del envelope["data"][3]["actor"]
    with pytest.raises(ConversionFailed) as caught:
        convert(envelope)
    assert (caught.value.path, caught.value.reason) == (
        "data[3].actor",
        "must be an entity: an object with an 'id', or an IRI",
    )


def test_anonymised_caliper_events_keep_no_learner_id() -> None:
    result = convert(load("caliper-1.2-envelope.json"), mode=PrivacyMode.ANONYMISE)
    assert "554433" not in str(result.output_trace)
