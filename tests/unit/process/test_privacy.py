"""Keyed pseudonymisation and anonymisation: what is replaced, what is removed, what is reported."""

import gzip
import hashlib
import hmac
import re
import string
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning_record.domain.data_keys import tenant_secret
from learning_record.domain.process import PrivacyMode, process
from tests.unit.factories import REMOVE, make_agent, make_statement, make_sub_statement
from tests.unit.process.support import SECRET, pseudonym

ADA_SHA1 = hashlib.sha1(b"mailto:ada@example.com").hexdigest()
ADA = pseudonym(f"mbox_sha1sum:{ADA_SHA1}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
IP_EXTENSION = "http://id.tincanapi.com/extension/ip-address"
USER_AGENT = "https://w3id.org/xapi/netc/extensions/user-agent"
GEO = "http://id.tincanapi.com/extension/geojson"
FUN_MOOC = Path(__file__).parent.parent.parent / "data" / "fun-mooc-video-statements.json.gz"


def protected(statement: dict[str, Any], **options: Any) -> Any:
    return process(statement, input_format="xapi", tenant_secret=SECRET, **options)


def test_every_ifi_becomes_an_hmac_account_and_names_are_dropped() -> None:
    statement = make_statement(
        context={
            "instructor": make_agent(name="Charles Babbage", mbox="mailto:charles@example.com"),
            "team": {
                "objectType": "Group",
                "name": "Team Analytical",
                "member": [
                    make_agent(
                        name="Grace Hopper", mbox=None, openid="https://id.example.org/grace"
                    )
                ],
            },
        }
    )
    del statement["context"]["team"]["member"][0]["mbox"]
    result = protected(statement)
    trace = result.output_trace
    charles = hashlib.sha1(b"mailto:charles@example.com").hexdigest()
    assert trace["actor"] == {"objectType": "Agent", "account": ADA}
    assert trace["context"]["instructor"] == {
        "objectType": "Agent",
        "account": pseudonym(f"mbox_sha1sum:{charles}"),
    }
    assert trace["context"]["team"] == {
        "objectType": "Group",
        "member": [
            {"objectType": "Agent", "account": pseudonym("openid:https://id.example.org/grace")}
        ],
    }
    assert result.meta.privacy.mode == PrivacyMode.PSEUDONYMISE
    assert result.meta.privacy.touched == [
        "actor",
        "context.instructor",
        "context.team.member[0]",
        "context.team",
    ]


def test_mbox_and_its_sha1sum_give_the_same_pseudonym() -> None:
    by_sha1 = make_statement(actor=make_agent(mbox=None, mbox_sha1sum=ADA_SHA1))
    del by_sha1["actor"]["mbox"]
    assert protected(by_sha1).statements[0]["actor"]["account"] == ADA


def test_pseudonyms_depend_on_the_tenant_secret() -> None:
    other = process(make_statement(), tenant_secret=b"another-tenant-secret")
    assert other.statements[0]["actor"]["account"] == pseudonym(
        f"mbox_sha1sum:{ADA_SHA1}", b"another-tenant-secret"
    )
    assert other.statements[0]["actor"]["account"] != ADA


def test_protecting_a_pseudonymised_statement_again_changes_nothing() -> None:
    once = protected(make_statement()).output_trace
    assert protected(once).output_trace == once


def test_a_short_tenant_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        process(make_statement(), tenant_secret=b"short")


def test_a_configured_home_page_names_the_pseudonyms_and_must_be_an_iri() -> None:
    result = process(
        make_statement(), tenant_secret=SECRET, pseudonym_home_page="https://lrs.example.org/p"
    )
    assert result.statements[0]["actor"]["account"]["homePage"] == "https://lrs.example.org/p"
    with pytest.raises(ValueError, match="must be an IRI"):
        process(make_statement(), tenant_secret=SECRET, pseudonym_home_page="pseudonyms")


def test_anonymisation_gives_a_random_account_that_is_still_a_valid_agent() -> None:
    statement = make_statement(
        context={"instructor": make_agent(name="Charles", mbox="mailto:c@example.com")}
    )
    first = process(statement, mode=PrivacyMode.ANONYMISE, tenant_secret=b"")
    second = process(statement, mode=PrivacyMode.ANONYMISE, tenant_secret=b"")
    actor = first.statements[0]["actor"]
    assert actor["account"]["homePage"] == "urn:learningrecord:anonymous"
    assert UUID.fullmatch(actor["account"]["name"])
    assert actor != first.statements[0]["context"]["instructor"]
    assert actor != second.statements[0]["actor"]  # statements cannot be linked
    assert first.meta.privacy.mode == PrivacyMode.ANONYMISE


def test_ip_geolocation_and_user_agent_extensions_are_removed_at_any_depth() -> None:
    statement = make_statement(
        context={
            "extensions": {
                IP_EXTENSION: "203.0.113.9",
                USER_AGENT: "Mozilla/5.0",
                "https://example.com/extensions/client": {
                    "geolocation": [48.85, 2.35],
                    "locale": "fr",
                },
            }
        },
        result={"extensions": {GEO: {"type": "Point"}, "https://example.com/x/score-detail": 3}},
    )
    result = protected(statement)
    assert result.statements[0]["context"]["extensions"] == {
        "https://example.com/extensions/client": {"locale": "fr"}
    }
    assert result.statements[0]["result"]["extensions"] == {"https://example.com/x/score-detail": 3}
    assert result.meta.privacy.touched[1:] == [
        f'result.extensions["{GEO}"]',
        f'context.extensions["{IP_EXTENSION}"]',
        f'context.extensions["{USER_AGENT}"]',
        'context.extensions["https://example.com/extensions/client"].geolocation',
    ]


def test_contact_details_and_the_learners_name_are_removed_from_free_text() -> None:
    statement = make_statement(
        result={
            "response": "Ada here: mail ada.l@uni.example.org, call 06 12 34 56 78, from 10.0.0.7"
        },
        object__definition__description={
            "en-US": "Lovelace's notes, host fe80::1ff:fe23:4567:890a"
        },
        context={
            "extensions": {
                "https://example.com/x/comment": ["at 2021-11-29 23:09:00, +44 20 7946 0958"]
            }
        },
    )
    trace = protected(statement).output_trace
    assert trace["result"]["response"] == "[name] here: mail [email], call [phone], from [ip]"
    assert trace["object"]["definition"]["description"] == {"en-US": "[name]'s notes, host [ip]"}
    assert trace["context"]["extensions"] == {
        "https://example.com/x/comment": ["at 2021-11-29 23:09:00, [phone]"]
    }


# --- Properties ---------------------------------------------------------------------------------

NAME_PART = st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=1).flatmap(
    lambda first: st.text(alphabet="áéèïôzqxwk", min_size=3, max_size=8).map(
        lambda rest: first + rest
    )
)
NAMES = st.tuples(NAME_PART, NAME_PART).map(" ".join)
EMAILS = st.from_regex(r"[a-z]{3,10}\.[a-z]{2,8}@(mail|uni)\.example\.(org|net)", fullmatch=True)
IPS = st.tuples(*[st.integers(1, 254)] * 4).map(lambda parts: ".".join(map(str, parts)))


@st.composite
def learner_statements(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A statement whose agents, free text and extensions carry names, e-mails and IPs."""
    name, teacher, email, teacher_email, ip = (
        draw(NAMES), draw(NAMES), draw(EMAILS), draw(EMAILS), draw(IPS)
    )  # fmt: skip
    statement = make_statement(
        actor=make_agent(name=name, mbox=f"mailto:{email}"),
        result={"response": f"I am {name}, write to {email} from {ip}"},
        context={
            "instructor": make_agent(name=teacher, mbox=f"mailto:{teacher_email}"),
            "extensions": {
                IP_EXTENSION: ip,
                "https://example.com/x/note": f"cc {teacher} <{teacher_email}>",
            },
        },
        object__definition__description={"en-US": f"Shared by {name.split()[1]} at {ip}"},
    )
    return statement, [name, *name.split(), teacher, email, teacher_email, ip]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(learner_statements(), st.sampled_from(list(PrivacyMode)))
def test_no_input_email_name_or_ip_survives_in_the_output(
    case: tuple[dict[str, Any], list[str]], mode: PrivacyMode
) -> None:
    statement, personal = case
    output = str(process(statement, mode=mode, tenant_secret=SECRET).output_trace)
    assert [value for value in personal if value in output] == []


@settings(max_examples=100, deadline=None)
@given(st.lists(EMAILS, min_size=2, max_size=6, unique=True))
def test_pseudonyms_are_stable_and_distinct_per_learner(emails: list[str]) -> None:
    def account(email: str) -> str:
        statement = make_statement(actor=make_agent(mbox=f"mailto:{email}"))
        return str(
            process(statement, tenant_secret=SECRET).statements[0]["actor"]["account"]["name"]
        )

    first = [account(email) for email in emails]
    assert [account(email) for email in emails] == first
    assert len(set(first)) == len(emails)


def test_agents_as_object_authority_and_inside_a_substatement_are_pseudonymised() -> None:
    bob = make_agent(name="Bob", mbox="mailto:bob@example.com")
    lms = make_agent(
        name="LMS", mbox=REMOVE, account={"homePage": "https://lms.example.org", "name": "lms"}
    )
    statement = make_statement(
        object=make_sub_statement(actor=make_agent(), object=bob), authority=lms
    )
    result = protected(statement)
    bob_sha1 = hashlib.sha1(b"mailto:bob@example.com").hexdigest()
    assert result.statements[0]["object"]["actor"]["account"] == ADA
    assert result.statements[0]["object"]["object"] == {
        "objectType": "Agent",
        "account": pseudonym(f"mbox_sha1sum:{bob_sha1}"),
    }
    assert result.statements[0]["authority"]["account"] == pseudonym(
        "account:https://lms.example.org|lms"
    )
    assert result.meta.privacy.touched[:3] == ["actor", "authority", "object.actor"]


def test_fun_mooc_statements_keep_one_distinct_pseudonym_per_learner() -> None:
    with gzip.open(FUN_MOOC) as dataset:
        statements = [orjson.loads(line) for line in dataset.read().splitlines()[:3000]]
    learners = {statement["actor"]["account"]["name"] for statement in statements}
    # One item per statement, as the raw stream sends them.
    outputs = [process(statement, tenant_secret=SECRET).statements[0] for statement in statements]
    pseudonyms = {statement["actor"]["account"]["name"] for statement in outputs}
    assert len(pseudonyms) == len(learners)
    assert not learners & pseudonyms


def test_each_tenant_secret_is_the_hmac_of_its_name_under_the_deployment_key() -> None:
    acme = tenant_secret("deployment-key", "acme")
    assert acme == hmac.new(b"deployment-key", b"acme", hashlib.sha256).digest()
    assert tenant_secret("deployment-key", "acme") == acme
    assert tenant_secret("deployment-key", "globex") != acme
