"""xAPI 1.0.3 statement validation: what is accepted, what is rejected, and where the error is.

Each case is named after the requirement it proves; spec section numbers refer to
xAPI-Data.md (part 2 of the 1.0.3 specification). Case tables keep one case per line, hence the
formatter fences and the line-length exemption.
"""
# ruff: noqa: E501

import gzip
import json
import pickle
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from learning_record.domain.errors import DomainError, StatementInvalid
from learning_record.domain.xapi import (
    VOIDED,
    Agent,
    Group,
    Timestamp,
    duration_seconds,
    parse_statement,
    parse_statements,
)
from tests.unit.factories import (
    OTHER_STATEMENT_ID,
    REMOVE,
    STATEMENT_ID,
    STORED,
    TIMESTAMP,
    make_activity,
    make_agent,
    make_attachment,
    make_components,
    make_group,
    make_interaction,
    make_statement,
    make_statement_ref,
    make_sub_statement,
)

DATASET = Path(__file__).parent.parent / "data" / "fun-mooc-video-statements.json.gz"

ADA_ACCOUNT = {"homePage": "http://example.com", "name": "1625378"}
OPENID = "http://ada.openid.example.org/"
SHA1 = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
SCORE_EXTENSION = "http://example.com/extensions/score-detail"


def invalid(
    name: str, statement: Any, path: str, reason: str
) -> Any:  # a pytest ParameterSet, untyped by pytest
    return pytest.param(statement, path, reason, id=name)


def valid(name: str, statement: dict[str, Any]) -> Any:
    return pytest.param(statement, id=name)


# --- Valid statements --------------------------------------------------------------------------

# Appendix A, "a long example Statement showcasing most of the properties available".
SPEC_LONG_EXAMPLE: dict[str, Any] = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {
        "name": "Team PB",
        "mbox": "mailto:teampb@example.com",
        "member": [
            {"name": "Andrew Downes", "account": ADA_ACCOUNT, "objectType": "Agent"},
            {"name": "Toby Nichols", "openid": OPENID, "objectType": "Agent"},
            {"name": "Ena Hills", "mbox_sha1sum": SHA1, "objectType": "Agent"},
        ],
        "objectType": "Group",
    },
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/attended",
        "display": {"en-GB": "attended", "en-US": "attended"},
    },
    "result": {
        "extensions": {
            "http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\m"
        },
        "success": True,
        "completion": True,
        "response": "We agreed on some example actions.",
        "duration": "PT1H0M0S",
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {
            "parent": [{"id": "http://www.example.com/meetings/series/267"}],
            "category": [
                {
                    "id": "http://www.example.com/meetings/categories/teammeeting",
                    "objectType": "Activity",
                    "definition": {
                        "name": {"en": "team meeting"},
                        "description": {"en": "A category of meeting."},
                        "type": "http://example.com/expapi/activities/meetingcategory",
                    },
                }
            ],
            "other": [
                {"id": "http://www.example.com/meetings/occurances/34257"},
                {"id": "http://www.example.com/meetings/occurances/3425567"},
            ],
        },
        "instructor": {"name": "Andrew Downes", "account": ADA_ACCOUNT, "objectType": "Agent"},
        "team": {"name": "Team PB", "mbox": "mailto:teampb@example.com", "objectType": "Group"},
        "platform": "Example virtual meeting software",
        "language": "tlh",
        "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
    },
    "timestamp": "2013-05-18T05:32:34.804+00:00",
    "stored": "2013-05-18T05:32:34.804+00:00",
    "authority": {
        "account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"},
        "objectType": "Agent",
    },
    "version": "1.0.0",
    "object": {
        "id": "http://www.example.com/meetings/occurances/34534",
        "definition": {
            "extensions": {"http://example.com/room": {"name": "Kilby", "id": "342"}},
            "name": {"en-GB": "example meeting", "en-US": "example meeting"},
            "type": "http://adlnet.gov/expapi/activities/meeting",
            "moreInfo": "http://virtualmeeting.example.com/345256",
        },
        "objectType": "Activity",
    },
}

# fmt: off
VALID_STATEMENTS = [
    valid("typical_statement_is_accepted", make_statement()),
    valid("spec_long_example_is_accepted", SPEC_LONG_EXAMPLE),
    valid(
        "minimal_statement_without_object_types_is_accepted",
        {
            "actor": {"mbox": "mailto:xapi@adlnet.gov"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/created"},
            "object": {"id": "http://example.adlnet.gov/xapi/example/activity"},
        },
    ),
    valid("agent_identified_by_mbox_sha1sum_is_accepted", make_statement(actor__mbox=REMOVE, actor__mbox_sha1sum=SHA1)),
    valid("agent_identified_by_uppercase_sha1_is_accepted", make_statement(actor__mbox=REMOVE, actor__mbox_sha1sum=SHA1.upper())),
    valid("agent_identified_by_openid_is_accepted", make_statement(actor__mbox=REMOVE, actor__openid=OPENID)),
    valid("agent_identified_by_account_is_accepted", make_statement(actor__mbox=REMOVE, actor__account=ADA_ACCOUNT)),
    valid("anonymous_group_actor_is_accepted", make_statement(actor=make_group())),
    valid("identified_group_without_members_is_accepted", make_statement(actor={"objectType": "Group", "openid": OPENID})),
    valid("agent_object_with_object_type_is_accepted", make_statement(object=make_agent(name="Bob", mbox="mailto:bob@example.com"))),
    valid("group_object_is_accepted", make_statement(object=make_group())),
    valid("statement_ref_object_is_accepted", make_statement(object=make_statement_ref())),
    valid("sub_statement_object_is_accepted", make_statement(object=make_sub_statement())),
    valid("sub_statement_referring_to_a_statement_is_accepted", make_statement(object=make_sub_statement(object=make_statement_ref()))),
    valid("voiding_statement_with_statement_ref_is_accepted", make_statement(verb={"id": VOIDED}, object=make_statement_ref())),
    valid("three_legged_oauth_authority_is_accepted", make_statement(authority=make_group())),
    valid("uppercase_uuid_is_accepted", make_statement(id=STATEMENT_ID.upper())),
    valid("version_1_0_is_accepted", make_statement(version="1.0")),
    valid("version_1_0_3_is_accepted", make_statement(version="1.0.3")),
    valid("timestamp_in_utc_designator_is_accepted", make_statement(timestamp="2013-04-01T12:00:00Z")),
    valid("timestamp_with_offset_and_nanoseconds_is_accepted", make_statement(timestamp="2021-01-01T10:00:00.123456789+05:30")),
    valid("timestamp_without_seconds_is_accepted", make_statement(timestamp="2021-01-01T10:00+01:00")),
    valid("timestamp_with_minus_hour_offset_is_accepted", make_statement(timestamp="2021-01-01T10:00:00-05:00")),
    valid("duration_in_seconds_only_is_accepted", make_statement(result={"duration": "PT1234.5S"})),
    valid("duration_with_all_components_is_accepted", make_statement(result={"duration": "P3Y1M29DT4H35M59.14S"})),
    valid("duration_in_weeks_is_accepted", make_statement(result={"duration": "P4W"})),
    valid("score_within_bounds_is_accepted", make_statement(result={"score": {"scaled": -1, "raw": 0, "min": 0, "max": 10.5}})),
    valid("null_and_empty_object_extension_values_are_accepted", make_statement(result={"extensions": {SCORE_EXTENSION: None, "urn:x:empty": {}}})),
    valid("language_tags_with_script_region_and_variant_are_accepted", make_statement(verb__display={"zh-Hant-TW": "x", "es-419": "y", "de-CH-1901": "z", "x-private": "w", "i-klingon": "v"})),
    valid("context_language_tag_is_accepted", make_statement(context={"language": "en-GB"})),
    valid("revision_and_platform_with_activity_object_are_accepted", make_statement(context={"revision": "r2", "platform": "web"})),
    valid("attachment_with_file_url_is_accepted", make_statement(attachments=[make_attachment(fileUrl="http://example.com/cert.pdf")])),
    valid("dataset_style_odd_iris_are_accepted", make_statement(object__id="uuid://7d4f3c70-1e79-4243-9b7d-166076ce8bfb", context={"contextActivities": {"parent": [{"id": "course-v1:FUN-MOOC+00002+session01"}]}})),
]

# Appendix C: one Activity definition for each interaction type.
INTERACTIONS = [
    valid("true_false_interaction_is_accepted", make_statement(object=make_interaction("true-false", definition__correctResponsesPattern=["true"]))),
    valid("choice_interaction_is_accepted", make_statement(object=make_interaction("choice", definition__correctResponsesPattern=["golf[,]tetris"], definition__choices=make_components("golf", "tetris", "facebook")))),
    valid("fill_in_interaction_is_accepted", make_statement(object=make_interaction("fill-in", definition__correctResponsesPattern=["Bob's your uncle"]))),
    valid("long_fill_in_interaction_is_accepted", make_statement(object=make_interaction("long-fill-in", definition__correctResponsesPattern=["{case_matters=false}{lang=en}To store"]))),
    valid("likert_interaction_is_accepted", make_statement(object=make_interaction("likert", definition__correctResponsesPattern=["likert_3"], definition__scale=make_components("likert_0", "likert_3")))),
    valid("matching_interaction_is_accepted", make_statement(object=make_interaction("matching", definition__correctResponsesPattern=["ben[.]3"], definition__source=make_components("ben"), definition__target=make_components("3")))),
    valid("performance_interaction_is_accepted", make_statement(object=make_interaction("performance", definition__correctResponsesPattern=["pong[.]1:"], definition__steps=make_components("pong", "dg")))),
    valid("sequencing_interaction_is_accepted", make_statement(object=make_interaction("sequencing", definition__correctResponsesPattern=["tim[,]mike"], definition__choices=make_components("tim", "mike")))),
    valid("numeric_interaction_is_accepted", make_statement(object=make_interaction("numeric", definition__correctResponsesPattern=["4[:]"]))),
    valid("other_interaction_is_accepted", make_statement(object=make_interaction("other", definition__correctResponsesPattern=["(35.9,-86.8)"]))),
    valid("interaction_with_empty_correct_responses_is_accepted", make_statement(object=make_interaction("choice", definition__correctResponsesPattern=[]))),
]
# fmt: on


@pytest.mark.parametrize("statement", VALID_STATEMENTS + INTERACTIONS)
def test_valid_statement_is_accepted_and_round_trips(statement: dict[str, Any]) -> None:
    assert parse_statement(statement).to_document() == statement


# --- Rejected statements -----------------------------------------------------------------------

# fmt: off
SHAPE_AND_TYPES = [
    invalid("unknown_property_is_rejected", make_statement(foo=1), "foo", "not a property"),
    invalid("miscased_property_name_is_rejected", make_statement(actor__mbox=REMOVE, actor__Mbox="mailto:a@b.c"), "actor.Mbox", "not a property"),
    invalid("miscased_actor_object_type_is_rejected", make_statement(actor__objectType="agent"), "actor.objectType", "'agent' is not allowed"),
    invalid("miscased_activity_object_type_is_rejected", make_statement(object__objectType="activity"), "object.objectType", "'activity' is not allowed"),
    invalid("unknown_object_type_is_rejected", make_statement(object__objectType="Person"), "object.objectType", "expected 'Activity'"),
    invalid("missing_actor_is_rejected", make_statement(actor=REMOVE), "actor", "is required"),
    invalid("missing_verb_is_rejected", make_statement(verb=REMOVE), "verb", "is required"),
    invalid("missing_object_is_rejected", make_statement(object=REMOVE), "object", "is required"),
    invalid("missing_verb_id_is_rejected", make_statement(verb__id=REMOVE), "verb.id", "is required"),
    invalid("null_property_is_rejected", make_statement(result={"success": None}), "result.success", "must not be null"),
    invalid("null_object_is_rejected", make_statement(context=None), "context", "must not be null"),
    invalid("null_object_type_is_rejected", make_statement(object__objectType=None), "object.objectType", "must not be null"),
    invalid("null_language_map_value_is_rejected", make_statement(verb__display={"en-US": None}), 'verb.display["en-US"]', "must not be null"),
    invalid("null_extensions_map_is_rejected", make_statement(result={"extensions": None}), "result.extensions", "must not be null"),
    invalid("null_list_item_is_rejected", make_statement(attachments=[None]), "attachments[0]", "must not be null"),
    invalid("string_for_boolean_is_rejected", make_statement(result={"success": "true"}), "result.success", "must be a boolean, not a string"),
    invalid("string_for_number_is_rejected", make_statement(result={"score": {"raw": "5"}}), "result.score.raw", "must be a number, not a string"),
    invalid("boolean_for_number_is_rejected", make_statement(result={"score": {"scaled": True}}), "result.score.scaled", "must be a number, not a boolean"),
    invalid("float_for_integer_is_rejected", make_statement(attachments=[make_attachment(length=1.5)]), "attachments[0].length", "must be an integer"),
    invalid("number_for_string_is_rejected", make_statement(result={"response": 42}), "result.response", "must be a string, not a number"),
    invalid("string_for_object_is_rejected", make_statement(verb="completed"), "verb", "must be an object, not a string"),
    invalid("object_for_list_is_rejected", make_statement(attachments=make_attachment()), "attachments", "must be an array, not an object"),
    invalid("empty_iri_is_rejected", make_statement(object__id=""), "object.id", "must be an IRI"),
    invalid("empty_uuid_is_rejected", make_statement(id=""), "id", "must be a UUID"),
    invalid("empty_mbox_is_rejected", make_statement(actor__mbox=""), "actor.mbox", "mailto"),
    invalid("empty_timestamp_is_rejected", make_statement(timestamp=""), "timestamp", "ISO 8601"),
]

AGENTS_AND_GROUPS = [
    invalid("agent_with_two_ifis_is_rejected", make_statement(actor__openid=OPENID), "actor", "exactly one inverse functional identifier"),
    invalid("agent_without_ifi_is_rejected", make_statement(actor__mbox=REMOVE), "actor", "found none"),
    invalid("mbox_without_mailto_scheme_is_rejected", make_statement(actor__mbox="ada@example.com"), "actor.mbox", "must be a mailto IRI"),
    invalid("mbox_without_address_is_rejected", make_statement(actor__mbox="mailto:ada"), "actor.mbox", "must be a mailto IRI"),
    invalid("mbox_sha1sum_of_wrong_length_is_rejected", make_statement(actor__mbox=REMOVE, actor__mbox_sha1sum=SHA1[:-1]), "actor.mbox_sha1sum", "40 hex digits"),
    invalid("mbox_sha1sum_with_non_hex_is_rejected", make_statement(actor__mbox=REMOVE, actor__mbox_sha1sum="z" * 40), "actor.mbox_sha1sum", "40 hex digits"),
    invalid("openid_without_scheme_is_rejected", make_statement(actor__mbox=REMOVE, actor__openid="ada.openid.example.org"), "actor.openid", "must be an IRI"),
    invalid("account_without_home_page_is_rejected", make_statement(actor__mbox=REMOVE, actor__account={"name": "1625378"}), "actor.account.homePage", "is required"),
    invalid("account_without_name_is_rejected", make_statement(actor__mbox=REMOVE, actor__account={"homePage": "http://example.com"}), "actor.account.name", "is required"),
    invalid("account_with_empty_name_is_rejected", make_statement(actor__mbox=REMOVE, actor__account={"homePage": "http://example.com", "name": ""}), "actor.account.name", "must not be empty"),
    invalid("account_home_page_without_scheme_is_rejected", make_statement(actor__mbox=REMOVE, actor__account={"homePage": "example.com", "name": "1"}), "actor.account.homePage", "must be an IRI"),
    invalid("anonymous_group_without_member_is_rejected", make_statement(actor={"objectType": "Group", "name": "Team"}), "actor.member", "must list its Agents"),
    invalid("identified_group_with_two_ifis_is_rejected", make_statement(actor={"objectType": "Group", "openid": OPENID, "mbox": "mailto:t@example.com"}), "actor", "exactly one inverse functional identifier"),
    invalid("group_member_that_is_a_group_is_rejected", make_statement(actor=make_group(member__0=make_group())), "actor.member[0].objectType", "Groups cannot be nested"),
    invalid("group_member_with_two_ifis_is_rejected", make_statement(actor=make_group(member__1__openid=OPENID)), "actor.member[1]", "exactly one"),
    invalid("agent_object_without_object_type_is_rejected", make_statement(object=make_agent(objectType=REMOVE)), "object.objectType", "is required when the object is an Agent"),
    invalid("authority_group_of_three_agents_is_rejected", make_statement(authority=make_group(member__2=make_agent(mbox="mailto:c@example.com"))), "authority.member", "exactly two Agents"),
    invalid("authority_identified_group_is_rejected", make_statement(authority=make_group(openid=OPENID)), "authority.member", "anonymous Group"),
    invalid("actor_that_is_a_sub_statement_is_rejected", make_statement(actor=make_sub_statement()), "actor.objectType", "'SubStatement' is not allowed here; expected 'Agent', 'Group'"),
    invalid("authority_that_is_a_statement_ref_is_rejected", make_statement(authority=make_statement_ref()), "authority.objectType", "expected 'Agent', 'Group'"),
    invalid("team_that_is_an_agent_is_rejected", make_statement(context={"team": make_agent()}), "context.team.objectType", "must be 'Group'"),
    invalid("instructor_with_invalid_mbox_is_rejected", make_statement(context={"instructor": make_agent(mbox="ada")}), "context.instructor.mbox", "mailto"),
]

FORMATS = [
    invalid("verb_id_without_scheme_is_rejected", make_statement(verb__id="completed"), "verb.id", "must be an IRI"),
    invalid("relative_activity_id_is_rejected", make_statement(object__id="/activities/1"), "object.id", "must be an IRI"),
    invalid("activity_id_fragment_is_rejected", make_statement(object__id="#question-1"), "object.id", "must be an IRI"),
    invalid("iri_with_whitespace_is_rejected", make_statement(object__id="http://example.com/a b"), "object.id", "must be an IRI"),
    invalid("iri_with_a_control_character_is_rejected", make_statement(object__id="http://example.com/a\x1fb"), "object.id", "must be an IRI"),
    invalid("mbox_with_a_control_character_is_rejected", make_statement(actor__mbox="mailto:a\x1fb@example.com"), "actor.mbox", "must be a mailto IRI"),
    invalid("activity_type_without_scheme_is_rejected", make_statement(object__definition__type="course"), "object.definition.type", "must be an IRI"),
    invalid("extension_key_with_spaces_is_named_in_brackets", make_statement(result={"extensions": {"time spent": 1}}), 'result.extensions["time spent"]', "key must be an IRI"),
    invalid("extension_key_that_is_not_an_iri_is_rejected", make_statement(result={"extensions": {"time": 1}}), "result.extensions.time", "key must be an IRI"),
    invalid("uuid_without_hyphens_is_rejected", make_statement(id=STATEMENT_ID.replace("-", "")), "id", "must be a UUID"),
    invalid("uuid_in_braces_is_rejected", make_statement(id="{" + STATEMENT_ID + "}"), "id", "must be a UUID"),
    invalid("uuid_with_ncs_variant_is_rejected", make_statement(id="12345678-1234-5678-1234-567812345678"), "id", "must be a UUID"),
    invalid("uuid_with_version_0_is_rejected", make_statement(id="fd41c918-b88b-0b20-a0a5-a4c32391aaa0"), "id", "must be a UUID"),
    invalid("registration_that_is_not_a_uuid_is_rejected", make_statement(context={"registration": "attempt-1"}), "context.registration", "must be a UUID"),
    invalid("language_map_key_with_underscore_is_rejected", make_statement(verb__display={"en_US": "completed"}), "verb.display.en_US", "key must be an RFC 5646 language tag"),
    invalid("language_map_key_too_long_is_rejected", make_statement(verb__display={"english": "completed", "toolongtag": "x"}), "verb.display.toolongtag", "RFC 5646"),
    invalid("language_map_key_with_trailing_hyphen_is_rejected", make_statement(object__definition__name={"en-": "x"}), 'object.definition.name["en-"]', "RFC 5646"),
    invalid("context_language_that_is_not_a_tag_is_rejected", make_statement(context={"language": "English (US)"}), "context.language", "RFC 5646"),
    invalid("timestamp_without_time_zone_is_rejected", make_statement(timestamp="2021-11-29T23:09:00.867"), "timestamp", "with a time zone"),
    invalid("timestamp_with_unknown_offset_is_rejected", make_statement(timestamp="2021-11-29T23:09:00-00:00"), "timestamp", "-00:00"),
    invalid("date_only_timestamp_is_rejected", make_statement(timestamp="2021-11-29"), "timestamp", "ISO 8601"),
    invalid("timestamp_with_space_separator_is_rejected", make_statement(timestamp="2021-11-29 23:09:00Z"), "timestamp", "ISO 8601"),
    invalid("timestamp_on_impossible_day_is_rejected", make_statement(timestamp="2021-02-30T10:00:00Z"), "timestamp", "not a valid date"),
    invalid("timestamp_that_is_a_number_is_rejected", make_statement(timestamp=1638227340), "timestamp", "must be a string"),
    invalid("invalid_stored_is_rejected", make_statement(stored="yesterday"), "stored", "ISO 8601"),
    invalid("duration_with_seconds_outside_time_part_is_rejected", make_statement(result={"duration": "P16559.14S"}), "result.duration", "ISO 8601 duration"),
    invalid("duration_weeks_combined_with_days_is_rejected", make_statement(result={"duration": "P4W1D"}), "result.duration", "ISO 8601 duration"),
    invalid("duration_alternative_format_is_rejected", make_statement(result={"duration": "P0003-01-29T04:35:59"}), "result.duration", "ISO 8601 duration"),
    invalid("duration_with_fraction_before_last_part_is_rejected", make_statement(result={"duration": "PT1.5H30M"}), "result.duration", "fraction on its last component only"),
    invalid("empty_duration_is_rejected", make_statement(result={"duration": "PT"}), "result.duration", "ISO 8601 duration"),
    invalid("version_2_is_rejected", make_statement(version="2.0.0"), "version", "'1.0' or '1.0.x'"),
    invalid("version_1_1_is_rejected", make_statement(version="1.1"), "version", "'1.0' or '1.0.x'"),
    invalid("version_with_suffix_is_rejected", make_statement(version="1.0.0-beta"), "version", "'1.0' or '1.0.x'"),
]

RESULTS_AND_CONTEXT = [
    invalid("scaled_score_above_one_is_rejected", make_statement(result={"score": {"scaled": 1.01}}), "result.score.scaled", "between -1 and 1"),
    invalid("scaled_score_below_minus_one_is_rejected", make_statement(result={"score": {"scaled": -2}}), "result.score.scaled", "between -1 and 1"),
    invalid("raw_score_below_min_is_rejected", make_statement(result={"score": {"raw": -1, "min": 0}}), "result.score.raw", "less than min"),
    invalid("raw_score_above_max_is_rejected", make_statement(result={"score": {"raw": 11, "max": 10}}), "result.score.raw", "greater than max"),
    invalid("min_equal_to_max_is_rejected", make_statement(result={"score": {"min": 10, "max": 10}}), "result.score.max", "greater than min"),
    invalid("revision_with_agent_object_is_rejected", make_statement(object=make_agent(), context={"revision": "r2"}), "context.revision", "only be used when the statement's object is an Activity"),
    invalid("platform_with_statement_ref_object_is_rejected", make_statement(object=make_statement_ref(), context={"platform": "web"}), "context.platform", "Activity"),
    invalid("unknown_context_activities_key_is_rejected", make_statement(context={"contextActivities": {"sibling": [make_activity()]}}), "context.contextActivities.sibling", "not a property"),
    invalid("context_activity_without_id_is_rejected", make_statement(context={"contextActivities": {"parent": [{"objectType": "Activity"}]}}), "context.contextActivities.parent[0].id", "is required"),
    invalid("context_activity_that_is_a_string_is_rejected", make_statement(context={"contextActivities": {"parent": "http://example.com/a"}}), "context.contextActivities.parent", "must be an array"),
    invalid("context_statement_that_is_not_a_ref_is_rejected", make_statement(context={"statement": make_sub_statement()}), "context.statement.objectType", "must be 'StatementRef'"),
]

INTERACTION_RULES = [
    invalid("correct_responses_without_interaction_type_is_rejected", make_statement(object__definition__correctResponsesPattern=["true"]), "object.definition.interactionType", "required when correctResponsesPattern is present"),
    invalid("choices_without_interaction_type_is_rejected", make_statement(object__definition__choices=make_components("a")), "object.definition.interactionType", "required when choices is present"),
    invalid("unknown_interaction_type_is_rejected", make_statement(object=make_interaction("multiple-choice")), "object.definition.interactionType", "must be 'true-false', 'choice'"),
    invalid("miscased_interaction_type_is_rejected", make_statement(object=make_interaction("Choice")), "object.definition.interactionType", "case-sensitive"),
    invalid("scale_on_choice_interaction_is_rejected", make_statement(object=make_interaction("choice", definition__scale=make_components("a"))), "object.definition.scale", "supported: choices"),
    invalid("choices_on_true_false_interaction_is_rejected", make_statement(object=make_interaction("true-false", definition__choices=make_components("a"))), "object.definition.choices", "no component list"),
    invalid("steps_on_matching_interaction_is_rejected", make_statement(object=make_interaction("matching", definition__steps=make_components("a"))), "object.definition.steps", "supported: source, target"),
    invalid("duplicate_component_ids_are_rejected", make_statement(object=make_interaction("choice", definition__choices=make_components("a", "b", "a"))), "object.definition.choices[2].id", "duplicate"),
    invalid("component_without_id_is_rejected", make_statement(object=make_interaction("likert", definition__scale=[{"description": {"en": "x"}}])), "object.definition.scale[0].id", "is required"),
    invalid("correct_responses_that_are_not_strings_are_rejected", make_statement(object=make_interaction("numeric", definition__correctResponsesPattern=[4])), "object.definition.correctResponsesPattern[0]", "must be a string"),
]

STATEMENT_OBJECTS = [
    invalid("voiding_an_activity_is_rejected", make_statement(verb={"id": VOIDED}), "object.objectType", "must be 'StatementRef'"),
    invalid("statement_ref_with_invalid_id_is_rejected", make_statement(object=make_statement_ref(id="42")), "object.id", "must be a UUID"),
    invalid("statement_ref_with_definition_is_rejected", make_statement(object=make_statement_ref(definition={})), "object.definition", "not a property"),
    invalid("sub_statement_with_id_is_rejected", make_statement(object=make_sub_statement(id=OTHER_STATEMENT_ID)), "object.id", "must not have 'id'"),
    invalid("sub_statement_with_stored_is_rejected", make_statement(object=make_sub_statement(stored=STORED)), "object.stored", "must not have 'stored'"),
    invalid("sub_statement_with_version_is_rejected", make_statement(object=make_sub_statement(version="1.0.0")), "object.version", "must not have 'version'"),
    invalid("sub_statement_with_authority_is_rejected", make_statement(object=make_sub_statement(authority=make_agent())), "object.authority", "must not have 'authority'"),
    invalid("nested_sub_statement_is_rejected", make_statement(object=make_sub_statement(object=make_sub_statement())), "object.object.objectType", "cannot contain another SubStatement"),
    invalid("sub_statement_with_invalid_actor_is_rejected", make_statement(object=make_sub_statement(actor__mbox="ada")), "object.actor.mbox", "mailto"),
    invalid("sub_statement_with_invalid_activity_is_rejected", make_statement(object=make_sub_statement(object__id="website")), "object.object.id", "must be an IRI"),
    invalid("sub_statement_follows_context_rules", make_statement(object=make_sub_statement(object=make_agent(), context={"revision": "2"})), "object.context.revision", "Activity"),
    invalid("sub_statement_follows_voiding_rules", make_statement(object=make_sub_statement(verb={"id": VOIDED})), "object.object.objectType", "StatementRef"),
]

ATTACHMENTS = [
    invalid("attachment_usage_type_that_is_not_an_iri_is_rejected", make_statement(attachments=[make_attachment(usageType="signature")]), "attachments[0].usageType", "must be an IRI"),
    invalid("attachment_without_display_is_rejected", make_statement(attachments=[make_attachment(display=REMOVE)]), "attachments[0].display", "is required"),
    invalid("attachment_with_negative_length_is_rejected", make_statement(attachments=[make_attachment(length=-1)]), "attachments[0].length", "greater than or equal to 0"),
    invalid("attachment_content_type_that_is_not_a_media_type_is_rejected", make_statement(attachments=[make_attachment(contentType="pdf")]), "attachments[0].contentType", "media type"),
    invalid("attachment_without_sha2_is_rejected", make_statement(attachments=[make_attachment(sha2=REMOVE)]), "attachments[0].sha2", "is required"),
    invalid("attachment_file_url_without_scheme_is_rejected", make_statement(attachments=[make_attachment(fileUrl="cert.pdf")]), "attachments[0].fileUrl", "must be an IRI"),
    invalid("second_attachment_error_names_its_index", make_statement(attachments=[make_attachment(), make_attachment(display={"en_US": "x"})]), "attachments[1].display.en_US", "language tag"),
]
# fmt: on


@pytest.mark.parametrize(
    ("statement", "path", "reason"),
    SHAPE_AND_TYPES
    + AGENTS_AND_GROUPS
    + FORMATS
    + RESULTS_AND_CONTEXT
    + INTERACTION_RULES
    + STATEMENT_OBJECTS
    + ATTACHMENTS,
)
def test_invalid_statement_is_rejected_with_the_offending_path(
    statement: Any, path: str, reason: str
) -> None:
    with pytest.raises(StatementInvalid) as caught:
        parse_statement(statement)

    assert caught.value.path == path
    assert reason in caught.value.reason
    assert str(caught.value) == f"{path}: {caught.value.reason}"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param([make_statement()], id="array"),
        pytest.param("statement", id="string"),
        pytest.param(None, id="null"),
    ],
)
def test_statement_that_is_not_an_object_is_rejected_at_the_root(raw: object) -> None:
    with pytest.raises(StatementInvalid) as caught:
        parse_statement(raw)

    assert caught.value.path == ""
    assert str(caught.value) == caught.value.reason


def test_pydantic_errors_never_escape() -> None:
    with pytest.raises(StatementInvalid) as caught:
        parse_statement(make_statement(actor__mbox="nope"))

    assert isinstance(caught.value, DomainError)
    assert not isinstance(caught.value, pydantic.ValidationError)


# --- Batches -----------------------------------------------------------------------------------


# fmt: off
INVALID_BATCHES = [
    invalid("invalid_item_is_named_by_its_index", [make_statement(), make_statement(actor__mbox="ada")], "[1].actor.mbox", "mailto"),
    invalid("item_that_is_not_an_object_is_named_by_its_index", [make_statement(), 3], "[1]", "must be an object"),
    invalid("empty_batch_is_rejected", [], "", "non-empty array"),
    invalid("batch_that_is_a_string_is_rejected", "[]", "", "must be an object"),
]
# fmt: on


def test_single_statement_parses_as_a_batch_of_one() -> None:
    statements = parse_statements(make_statement())

    assert [s.id for s in statements] == [STATEMENT_ID]


def test_batch_keeps_the_order_of_statements() -> None:
    batch = [make_statement(id=STATEMENT_ID), make_statement(id=OTHER_STATEMENT_ID)]

    assert [s.id for s in parse_statements(batch)] == [STATEMENT_ID, OTHER_STATEMENT_ID]


@pytest.mark.parametrize(("raw", "path", "reason"), INVALID_BATCHES)
def test_invalid_batch_is_rejected_with_the_offending_path(
    raw: object, path: str, reason: str
) -> None:
    with pytest.raises(StatementInvalid) as caught:
        parse_statements(raw)

    assert caught.value.path == path
    assert reason in caught.value.reason


# --- Output ------------------------------------------------------------------------------------


def test_single_context_activity_is_returned_as_a_list() -> None:
    parent = make_activity(id="http://example.com/courses/1")
    statement = make_statement(context={"contextActivities": {"parent": parent, "other": []}})

    document = parse_statement(statement).to_document()

    assert document["context"]["contextActivities"] == {"parent": [parent], "other": []}


def test_timestamp_is_returned_exactly_as_sent() -> None:
    sent = "2021-01-01T10:00:00.123456789+05:30"

    statement = parse_statement(make_statement(timestamp=sent))

    assert statement.to_document()["timestamp"] == sent
    assert type(statement.to_document()["timestamp"]) is str
    assert statement.timestamp is not None
    assert statement.timestamp.as_datetime == datetime(2021, 1, 1, 4, 30, 0, 123456, tzinfo=UTC)


def test_integers_stay_integers_on_output() -> None:
    score = {"raw": 7, "min": 0, "max": 10, "scaled": 1}

    document = parse_statement(make_statement(result={"score": score})).to_document()

    assert json.dumps(document["result"]["score"], sort_keys=True) == json.dumps(
        score, sort_keys=True
    )


def test_null_inside_extensions_is_kept_on_output() -> None:
    extensions = {SCORE_EXTENSION: None, "urn:x:nested": {"a": None, "b": [None]}}

    document = parse_statement(make_statement(context={"extensions": extensions})).to_document()

    assert document["context"]["extensions"] == extensions


def test_every_dataset_statement_validates_and_round_trips(
    dataset: list[dict[str, Any]],
) -> None:
    assert len(dataset) == 22_000
    for raw in dataset:
        assert parse_statement(raw).to_document() == raw


@pytest.fixture(scope="module")
def dataset() -> list[dict[str, Any]]:
    with gzip.open(DATASET, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


@given(
    st.dictionaries(
        st.from_regex(r"\Ahttps://example\.com/ext/[a-z]{1,8}\Z"),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(),
            lambda children: st.lists(children) | st.dictionaries(st.text(), children),
            max_leaves=10,
        ),
    )
)
def test_any_extension_value_round_trips(extensions: dict[str, Any]) -> None:
    statement = make_statement(result={"extensions": extensions})

    assert parse_statement(statement).to_document() == statement


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_any_aware_datetime_in_iso_format_is_a_timestamp(moment: datetime) -> None:
    text = moment.isoformat(timespec="milliseconds")

    timestamp = Timestamp.parse(text)

    assert timestamp == text
    assert timestamp.as_datetime == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# --- Statement helpers -------------------------------------------------------------------------


def test_voiding_statement_names_its_target() -> None:
    statement = parse_statement(make_statement(verb={"id": VOIDED}, object=make_statement_ref()))

    assert statement.is_voiding
    assert statement.voided_target == OTHER_STATEMENT_ID


def test_ordinary_statement_voids_nothing() -> None:
    statement = parse_statement(make_statement(object=make_statement_ref()))

    assert not statement.is_voiding
    assert statement.voided_target is None


def test_event_time_is_the_timestamp() -> None:
    statement = parse_statement(make_statement(timestamp=TIMESTAMP, stored=STORED))

    assert statement.event_time == datetime(2021, 11, 29, 23, 9, 0, 867000, tzinfo=UTC)


def test_event_time_falls_back_to_stored() -> None:
    statement = parse_statement(make_statement(timestamp=REMOVE, stored=STORED))

    assert statement.event_time == datetime(2021, 11, 29, 23, 10, tzinfo=UTC)


def test_event_time_without_timestamp_or_stored_is_an_error() -> None:
    statement = parse_statement(make_statement(timestamp=REMOVE))

    with pytest.raises(StatementInvalid, match="neither timestamp nor stored"):
        _ = statement.event_time


def test_statement_is_frozen() -> None:
    statement = parse_statement(make_statement())

    with pytest.raises(pydantic.ValidationError, match="frozen"):
        statement.version = "1.0.0"  # type: ignore[misc]


# --- LRS-set properties ------------------------------------------------------------------------

LRS_AUTHORITY = {"objectType": "Agent", "account": {"homePage": "urn:lrs", "name": "tenant-a"}}


# fmt: off
INVALID_LRS_FIELDS = [
    pytest.param({"id": "42", "stored": STORED, "authority": None}, "id", id="invalid_id"),
    pytest.param({"id": None, "stored": "now", "authority": None}, "stored", id="invalid_stored"),
    pytest.param({"id": None, "stored": STORED, "authority": make_agent(mbox="x")}, "authority.mbox", id="invalid_authority"),
    pytest.param({"id": None, "stored": STORED, "authority": make_statement_ref()}, "authority.objectType", id="authority_of_wrong_type"),
]
# fmt: on


def test_lrs_fields_fill_a_missing_id_with_a_new_uuid() -> None:
    statement = parse_statement(make_statement(id=REMOVE))

    stored = statement.with_lrs_fields(id=None, stored=STORED, authority=None)

    assert stored.id is not None
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", stored.id
    )


def test_lrs_fields_fill_a_missing_id_with_the_given_one() -> None:
    statement = parse_statement(make_statement(id=REMOVE))

    stored = statement.with_lrs_fields(id=OTHER_STATEMENT_ID, stored=STORED, authority=None)

    assert stored.to_document()["id"] == OTHER_STATEMENT_ID


def test_lrs_fields_keep_the_producer_id() -> None:
    statement = parse_statement(make_statement(id=STATEMENT_ID))

    stored = statement.with_lrs_fields(id=OTHER_STATEMENT_ID, stored=STORED, authority=None)

    assert stored.id == STATEMENT_ID


def test_lrs_fields_always_overwrite_stored() -> None:
    statement = parse_statement(make_statement(stored="2000-01-01T00:00:00Z"))

    stored = statement.with_lrs_fields(id=None, stored=STORED, authority=None)

    assert stored.to_document()["stored"] == STORED
    assert stored.event_time == statement.event_time
    assert statement.stored == "2000-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "authority",
    [
        pytest.param(LRS_AUTHORITY, id="document"),
        pytest.param(Agent.model_validate(LRS_AUTHORITY), id="model"),
    ],
)
def test_lrs_fields_fill_a_missing_authority(authority: dict[str, Any] | Agent) -> None:
    statement = parse_statement(make_statement())

    stored = statement.with_lrs_fields(id=None, stored=STORED, authority=authority)

    assert stored.to_document()["authority"] == LRS_AUTHORITY


def test_lrs_fields_fill_a_three_legged_oauth_authority() -> None:
    statement = parse_statement(make_statement())

    stored = statement.with_lrs_fields(id=None, stored=STORED, authority=make_group())

    assert isinstance(stored.authority, Group)


def test_lrs_fields_keep_the_producer_authority() -> None:
    producer_authority = make_agent(mbox="mailto:producer@example.com")
    statement = parse_statement(make_statement(authority=producer_authority))

    stored = statement.with_lrs_fields(id=None, stored=STORED, authority=LRS_AUTHORITY)

    assert stored.to_document()["authority"] == producer_authority


def test_lrs_fields_leave_the_rest_of_the_document_unchanged() -> None:
    sent = make_statement()

    document = (
        parse_statement(sent)
        .with_lrs_fields(id=None, stored=STORED, authority=LRS_AUTHORITY)
        .to_document()
    )

    assert document == {**sent, "stored": STORED, "authority": LRS_AUTHORITY}


@pytest.mark.parametrize(("fields", "path"), INVALID_LRS_FIELDS)
def test_invalid_lrs_fields_are_rejected(fields: dict[str, Any], path: str) -> None:
    statement = parse_statement(make_statement(id=REMOVE))

    with pytest.raises(StatementInvalid) as caught:
        statement.with_lrs_fields(**fields)

    assert caught.value.path == path


# --- Durations and errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        pytest.param("PT4H35M59.14S", 16_559.14, id="hours_minutes_seconds"),
        pytest.param("PT1234S", 1234, id="seconds_only"),
        pytest.param("PT0,5S", 0.5, id="comma_decimal_sign"),
        pytest.param("P1DT2H", 93_600, id="days_and_hours"),
        pytest.param("P2W", 14 * 86_400, id="weeks"),
        pytest.param("P1M", 30 * 86_400, id="month_is_30_days"),
        pytest.param("P1Y", 365 * 86_400, id="year_is_365_days"),
        pytest.param("P1.5Y", 1.5 * 365 * 86_400, id="fractional_years"),
    ],
)
def test_duration_seconds(duration: str, seconds: float) -> None:
    assert duration_seconds(duration) == pytest.approx(seconds)


@pytest.mark.parametrize("duration", ["", "P", "PT", "1H", "PT1H2", "P4W1D", "P16559.14S"])
def test_duration_seconds_rejects_what_is_not_a_duration(duration: str) -> None:
    with pytest.raises(ValueError, match="not an ISO 8601 duration"):
        duration_seconds(duration)


def test_statement_invalid_survives_pickling() -> None:
    error = StatementInvalid("actor.mbox", "must be a mailto IRI")

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.path, copy.reason, str(copy)) == (error.path, error.reason, str(error))


def test_statement_invalid_at_the_root_is_just_the_reason() -> None:
    assert str(StatementInvalid("", "empty record")) == "empty record"
