"""The pure parts of the statement resource: query parameters, index terms, content digests,
batch rules and response formats."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from multidict import MultiDict, MultiDictProxy

from learning_record.domain.errors import StatementInvalid
from learning_record.domain.statement_formats import best_language, formatted, preferred_languages
from learning_record.domain.statement_index import (
    AgentFilter,
    check_batch,
    content_digest,
    index_terms,
    referred_statement,
    voided_target,
)
from learning_record.domain.statement_query import (
    MAX_PAGE_SIZE,
    Cursor,
    QueryInvalid,
    SingleStatement,
    StatementQuery,
    more_parameters,
    parse_statement_request,
)
from tests.pseudonyms import learner_ids
from tests.unit.factories import (
    OTHER_STATEMENT_ID,
    REMOVE,
    STATEMENT_ID,
    STORED,
    make_agent,
    make_group,
    make_statement,
    make_statement_ref,
    make_sub_statement,
)

ADA_IFI = "mbox:mailto:ada@example.com"
BOB_IFI = "mbox:mailto:bob@example.com"
LEARNER_ID = learner_ids("acme")
ADA, BOB = LEARNER_ID(ADA_IFI), LEARNER_ID(BOB_IFI)
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

# --- Parameters -------------------------------------------------------------------------------


def test_statement_id_asks_for_one_statement() -> None:
    asked = parse_statement_request({"statementId": STATEMENT_ID, "format": "ids"})
    assert asked == SingleStatement(STATEMENT_ID, voided=False, format="ids")


def test_voided_statement_id_asks_for_one_voided_statement() -> None:
    asked = parse_statement_request({"voidedStatementId": STATEMENT_ID, "attachments": "true"})
    assert asked == SingleStatement(STATEMENT_ID, voided=True, format="exact")


def test_a_query_without_parameters_asks_for_a_full_page_newest_first() -> None:
    assert parse_statement_request({}) == StatementQuery(
        terms=(),
        since_ms=None,
        until_ms=None,
        limit=MAX_PAGE_SIZE,
        ascending=False,
        format="exact",
        cursor=None,
    )


def test_every_filter_becomes_an_index_term() -> None:
    asked = parse_statement_request(
        {
            "agent": orjson.dumps(make_agent(name="Anyone")).decode(),
            "verb": "http://adlnet.gov/expapi/verbs/completed",
            "activity": "http://example.com/a",
            "registration": STATEMENT_ID,
            "related_agents": "true",
            "related_activities": "true",
            "since": "2021-11-29T23:10:00.000Z",
            "until": "2021-11-29T23:10:00.0015+00:00",
            "limit": "7",
            "ascending": "true",
            "format": "canonical",
            "cursor": "12.40",
        }
    )
    assert asked == StatementQuery(
        terms=(
            "verb:http://adlnet.gov/expapi/verbs/completed",
            "related-activity:http://example.com/a",
            f"registration:{STATEMENT_ID}",
        ),
        since_ms=1638227400000.0,
        until_ms=1638227400001.5,
        limit=7,
        ascending=True,
        format="canonical",
        cursor=Cursor(after=12, bound=40),
        agents=(AgentFilter("related-agent", ADA_IFI),),
    )


def test_an_agent_filter_becomes_a_term_by_pseudonym_once_keyed() -> None:
    """The view names agents by keyed pseudonym: an IFI never becomes a Redis key name."""
    asked = parse_statement_request(
        {"agent": orjson.dumps(make_agent()).decode(), "verb": "http://example.com/v"}
    )
    assert isinstance(asked, StatementQuery)
    keyed = asked.keyed(LEARNER_ID)
    assert keyed.terms == ("verb:http://example.com/v", f"agent:{ADA}")
    assert keyed.agents == ()
    assert ADA != ADA_IFI


@pytest.mark.parametrize(
    ("limit", "page_size"), [("0", MAX_PAGE_SIZE), ("1", 1), ("100000", MAX_PAGE_SIZE)]
)
def test_limit_zero_or_above_the_maximum_is_the_maximum(limit: str, page_size: int) -> None:
    asked = parse_statement_request({"limit": limit})
    assert isinstance(asked, StatementQuery)
    assert asked.limit == page_size


@pytest.mark.parametrize(
    ("params", "parameter", "reason"),
    [
        ({"Verb": "http://x.org/v"}, "Verb", "not a parameter of this resource"),
        ({"limit": "-1"}, "limit", "non-negative integer"),
        ({"limit": "\u0661"}, "limit", "non-negative integer"),
        ({"ascending": "yes"}, "ascending", "'true' or 'false'"),
        ({"format": "full"}, "format", "one of"),
        ({"since": "2021-11-29"}, "since", "ISO 8601"),
        ({"until": "2021-11-29T23:10:00-00:00"}, "until", "unknown-offset"),
        ({"agent": "{"}, "agent", "as JSON"),
        ({"agent": '{"mbox": "ada@example.com"}'}, "agent", "not a valid Agent"),
        ({"agent": orjson.dumps(make_group()).decode()}, "agent", "anonymous Group"),
        ({"verb": "completed"}, "verb", "an IRI"),
        ({"registration": "12"}, "registration", "a UUID"),
        ({"statementId": "12"}, "statementId", "a UUID"),
        ({"cursor": "1"}, "cursor", "not a cursor"),
        (
            {"statementId": STATEMENT_ID, "voidedStatementId": STATEMENT_ID},
            "",
            "exclude each other",
        ),
        ({"statementId": STATEMENT_ID, "limit": "1"}, "", "limit cannot be combined"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(
    params: dict[str, str], parameter: str, reason: str
) -> None:
    with pytest.raises(QueryInvalid) as raised:
        parse_statement_request(params)
    assert (raised.value.parameter, reason in raised.value.reason) == (parameter, True)


def test_a_repeated_parameter_is_refused() -> None:
    params = MultiDictProxy(MultiDict([("verb", "http://x.org/a"), ("verb", "http://x.org/b")]))
    with pytest.raises(QueryInvalid) as raised:
        parse_statement_request(params)
    assert (raised.value.parameter, raised.value.reason) == ("verb", "is given more than once")


def test_more_carries_the_query_with_the_next_cursor() -> None:
    params = {"verb": "http://x.org/v", "cursor": "9.20", "limit": "2"}
    assert more_parameters(params, Cursor(7, 20)) == [
        ("verb", "http://x.org/v"),
        ("limit", "2"),
        ("cursor", "7.20"),
    ]


# --- Index terms ------------------------------------------------------------------------------


def test_index_terms_of_a_simple_statement() -> None:
    assert index_terms(make_statement(), LEARNER_ID) == [
        "activity:http://example.com/activities/algebra-1",
        f"agent:{ADA}",
        "related-activity:http://example.com/activities/algebra-1",
        f"related-agent:{ADA}",
        "verb:http://adlnet.gov/expapi/verbs/completed",
    ]


@pytest.mark.parametrize(
    ("overrides", "present", "absent"),
    [
        ({"actor": make_group()}, [f"agent:{BOB}", f"related-agent:{BOB}"], []),
        (
            {"object": make_agent(mbox="mailto:bob@example.com")},
            [f"agent:{BOB}"],
            ["activity:http://example.com/activities/algebra-1"],
        ),
        (
            {"context": {"instructor": make_agent(mbox="mailto:bob@example.com")}},
            [f"related-agent:{BOB}"],
            [f"agent:{BOB}"],
        ),
        (
            {"authority": make_agent(mbox="mailto:bob@example.com")},
            [f"related-agent:{BOB}"],
            [f"agent:{BOB}"],
        ),
        (
            {"object": make_sub_statement(actor=make_agent(mbox="mailto:bob@example.com"))},
            [f"related-agent:{BOB}", "related-activity:http://example.com/website"],
            [f"agent:{BOB}", "activity:http://example.com/website"],
        ),
        (
            {"context": {"contextActivities": {"parent": [{"id": "http://example.com/p"}]}}},
            ["related-activity:http://example.com/p"],
            ["activity:http://example.com/p"],
        ),
        (
            {"context": {"registration": OTHER_STATEMENT_ID}},
            [f"registration:{OTHER_STATEMENT_ID}"],
            [],
        ),
        (
            {"object": make_statement_ref()},
            [],
            ["activity:http://example.com/activities/algebra-1"],
        ),
    ],
    ids=[
        "group_members_match_the_agent_filter",
        "agent_as_object",
        "instructor_is_only_related",
        "authority_is_only_related",
        "substatement_is_only_related",
        "context_activity_is_only_related",
        "registration",
        "statement_ref_is_no_activity",
    ],
)
def test_index_terms(overrides: dict[str, Any], present: list[str], absent: list[str]) -> None:
    terms = index_terms(make_statement(**overrides), LEARNER_ID)
    assert [t for t in present if t not in terms] == []
    assert [t for t in absent if t in terms] == []


# --- Content digests and batches --------------------------------------------------------------


def test_the_digest_ignores_what_the_lrs_sets() -> None:
    sent = make_statement()
    stored = make_statement(
        stored=STORED,
        version="1.0.0",
        authority={"account": {"homePage": "urn:learningrecord:api-key", "name": "lrk_1"}},
    )
    assert content_digest(stored) == content_digest(sent)


@pytest.mark.parametrize(
    "overrides",
    [
        {"id": OTHER_STATEMENT_ID},
        {"verb__display": {"en-GB": "completed"}},
        {"authority": make_agent(mbox="mailto:bob@example.com")},
        {"version": "1.0.3"},
        {"timestamp": REMOVE},
    ],
    ids=["id", "display", "authority_sent", "version_sent", "timestamp"],
)
def test_the_digest_sees_what_the_sender_sent(overrides: dict[str, Any]) -> None:
    assert content_digest(make_statement(**overrides)) != content_digest(make_statement())


def test_the_digest_does_not_depend_on_key_order() -> None:
    sent = make_statement()
    assert content_digest(dict(reversed(sent.items()))) == content_digest(sent)


def test_a_batch_repeating_an_id_is_refused() -> None:
    with pytest.raises(StatementInvalid) as raised:
        check_batch([make_statement(), make_statement()])
    assert raised.value.path == "[1].id"


def test_a_batch_voiding_its_own_voiding_statement_is_refused() -> None:
    voider = make_statement(
        id=OTHER_STATEMENT_ID, verb={"id": VOIDED}, object=make_statement_ref(id=STATEMENT_ID)
    )
    voids_voider = make_statement(
        verb={"id": VOIDED}, object=make_statement_ref(id=OTHER_STATEMENT_ID)
    )
    voids_voider["id"] = "0b0e3a4c-8d6f-4b8e-9a9b-2f1d6c2b7e11"
    with pytest.raises(StatementInvalid) as raised:
        check_batch([voider, voids_voider])
    assert raised.value.path == "[1].object.id"


@pytest.mark.parametrize(
    ("overrides", "refers_to", "voids"),
    [
        ({}, None, None),
        ({"object": make_statement_ref()}, OTHER_STATEMENT_ID, None),
        (
            {"verb": {"id": VOIDED}, "object": make_statement_ref()},
            OTHER_STATEMENT_ID,
            OTHER_STATEMENT_ID,
        ),
    ],
    ids=["activity", "statement_ref", "voiding"],
)
def test_statement_references_and_voiding(
    overrides: dict[str, Any], refers_to: str | None, voids: str | None
) -> None:
    document = make_statement(**overrides)
    assert (referred_statement(document), voided_target(document)) == (refers_to, voids)


# --- Formats ----------------------------------------------------------------------------------


def test_format_ids_keeps_identifiers_only() -> None:
    document = make_statement(
        actor=make_group(),
        context={
            "instructor": make_agent(),
            "contextActivities": {
                "parent": [{"id": "http://p.org", "definition": {"name": {"en": "P"}}}]
            },
        },
    )
    shown = formatted(document, "ids", None)
    assert shown["actor"] == {
        "objectType": "Group",
        "member": [
            {
                "objectType": "Agent",
                "account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "app"},
            },
            {"objectType": "Agent", "mbox": "mailto:bob@example.com"},
        ],
    }
    assert shown["verb"] == {"id": "http://adlnet.gov/expapi/verbs/completed"}
    assert shown["object"] == {"id": "http://example.com/activities/algebra-1"}
    assert shown["context"] == {
        "instructor": {"objectType": "Agent", "mbox": "mailto:ada@example.com"},
        "contextActivities": {"parent": [{"id": "http://p.org"}]},
    }
    assert shown["timestamp"] == document["timestamp"]


def test_format_ids_reduces_an_activity_to_its_id_inside_a_substatement_too() -> None:
    inner = {"objectType": "Activity", "id": "http://x.org/a", "definition": {"name": {"en": "A"}}}
    document = make_statement(
        object={
            "objectType": "SubStatement",
            "actor": make_agent(),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": inner,
            "context": {"contextActivities": {"grouping": [inner]}},
        }
    )

    shown = formatted(document, "ids", None)["object"]

    assert shown["object"] == {"id": "http://x.org/a"}
    assert shown["context"] == {"contextActivities": {"grouping": [{"id": "http://x.org/a"}]}}


def test_format_canonical_reduces_every_language_map() -> None:
    names = {"en-US": "Algebra", "fr-FR": "Algèbre"}
    document = make_statement(
        verb__display={"en-US": "completed", "fr-FR": "a terminé"},
        object__definition__name=names,
        object__definition__description=names,
    )
    shown = formatted(document, "canonical", "fr")
    assert shown["verb"]["display"] == {"fr-FR": "a terminé"}
    assert shown["object"]["definition"]["name"] == {"fr-FR": "Algèbre"}
    assert shown["object"]["definition"]["description"] == {"fr-FR": "Algèbre"}
    assert document["verb"]["display"] == {"en-US": "completed", "fr-FR": "a terminé"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, []),
        ("da, en-gb;q=0.8, en;q=0.7", ["da", "en-gb", "en"]),
        ("en;q=0.5, fr", ["fr", "en"]),
        ("de;q=0, *;q=0.1", ["*"]),
        ("en;q=abc, fr", ["fr"]),
    ],
)
def test_preferred_languages_in_quality_order(header: str | None, expected: list[str]) -> None:
    assert preferred_languages(header) == expected


@pytest.mark.parametrize(
    ("preferred", "expected"),
    [
        (["fr"], {"fr-CA": "b"}),
        (["en-us"], {"en-US": "a"}),
        (["es", "de"], {"en-US": "a"}),
        (["*"], {"en-US": "a"}),
    ],
    ids=["prefix", "case_insensitive", "first_entry_when_none_match", "any"],
)
def test_best_language(preferred: list[str], expected: dict[str, str]) -> None:
    assert best_language({"en-US": "a", "fr-CA": "b"}, preferred) == expected
