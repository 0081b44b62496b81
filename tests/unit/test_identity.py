"""Learner identity: the canonical IFI of an Agent or Group, and the ids derived from it.

The case table keeps one case per line, hence the formatter fence and the line-length exemption.
"""
# ruff: noqa: E501

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learning_record.domain.errors import DomainError, UnidentifiedActor
from learning_record.domain.identity import ifi_of, ifi_of_raw
from learning_record.domain.xapi import Agent, Group, parse_statement
from tests.pseudonyms import learner_ids
from tests.unit.factories import REMOVE, make_agent, make_group, make_statement

DATASET = Path(__file__).parent.parent / "data" / "fun-mooc-video-statements.json.gz"
SHA1 = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
LEARNER_ID = learner_ids("acme")
FUN_ACCOUNT = {"homePage": "http://fun-mooc.fr", "name": "f6c5ca7f-9daa-4830-a6a7-887af156e9ce"}


def actor_of(actor: dict[str, Any]) -> Agent | Group:
    return parse_statement(make_statement(actor=actor)).actor


# fmt: off
IFI_KINDS = [
    pytest.param(make_agent(), "mbox:mailto:ada@example.com", id="mbox_is_kept_as_given"),
    pytest.param(make_agent(mbox="mailto:Ada@Example.COM"), "mbox:mailto:Ada@Example.COM", id="mbox_case_is_not_changed"),
    pytest.param(make_agent(mbox=REMOVE, mbox_sha1sum=SHA1), f"mbox_sha1sum:{SHA1}", id="mbox_sha1sum"),
    pytest.param(make_agent(mbox=REMOVE, mbox_sha1sum=SHA1.upper()), f"mbox_sha1sum:{SHA1}", id="mbox_sha1sum_is_lowercased"),
    pytest.param(make_agent(mbox=REMOVE, openid="http://ada.openid.example.org/"), "openid:http://ada.openid.example.org/", id="openid"),
    pytest.param(make_agent(mbox=REMOVE, account=FUN_ACCOUNT), f"account:http://fun-mooc.fr|{FUN_ACCOUNT['name']}", id="account_is_home_page_and_name"),
    pytest.param({"objectType": "Group", "mbox": "mailto:team@example.com"}, "mbox:mailto:team@example.com", id="identified_group"),
    pytest.param(make_group(mbox="mailto:team@example.com"), "mbox:mailto:team@example.com", id="identified_group_ignores_members"),
    pytest.param(make_agent(mbox=REMOVE, account={"homePage": "http://a.org/x|y", "name": "z"}), "account:http://a.org/x%7Cy|z", id="account_home_page_bar_is_escaped"),
    pytest.param(make_agent(mbox=REMOVE, account={"homePage": "http://a.org/x", "name": "y|z"}), "account:http://a.org/x|y%7Cz", id="account_name_bar_is_escaped"),
    pytest.param(make_agent(mbox=REMOVE, account={"homePage": "http://a.org/%7C", "name": "100%"}), "account:http://a.org/%257C|100%25", id="percent_is_escaped"),
    pytest.param(make_agent(mbox=REMOVE, account={"homePage": "http://a.org", "name": "a\x1fb\nc"}), "account:http://a.org|a%1Fb%0Ac", id="control_characters_are_escaped"),
    pytest.param(make_agent(mbox=REMOVE, openid="http://a.org/x|y"), "openid:http://a.org/x%7Cy", id="openid_is_escaped_too"),
]
# fmt: on


@pytest.mark.parametrize(("actor", "ifi"), IFI_KINDS)
def test_ifi_of_each_kind(actor: dict[str, Any], ifi: str) -> None:
    assert ifi_of(actor_of(actor)) == ifi


@pytest.mark.parametrize(("actor", "ifi"), IFI_KINDS)
def test_ifi_of_raw_document_matches_the_model(actor: dict[str, Any], ifi: str) -> None:
    assert ifi_of_raw(actor) == ifi


def test_same_agent_with_different_names_is_the_same_learner() -> None:
    ada = actor_of(make_agent(name="Ada Lovelace"))
    countess = actor_of(make_agent(name="Countess of Lovelace"))
    unnamed = actor_of(make_agent(name=REMOVE, objectType=REMOVE))

    assert ifi_of(ada) == ifi_of(countess) == ifi_of(unnamed)
    assert LEARNER_ID(ifi_of(ada)) == LEARNER_ID(ifi_of(countess)) == LEARNER_ID(ifi_of(unnamed))


def test_different_ifis_are_different_learners() -> None:
    by_mbox = actor_of(make_agent())
    by_account = actor_of(make_agent(mbox=REMOVE, account=FUN_ACCOUNT))
    by_other_mbox = actor_of(make_agent(mbox="mailto:bob@example.com"))

    assert (
        len(
            {
                LEARNER_ID(ifi_of(by_mbox)),
                LEARNER_ID(ifi_of(by_account)),
                LEARNER_ID(ifi_of(by_other_mbox)),
            }
        )
        == 3
    )


def test_same_value_under_another_ifi_kind_is_another_learner() -> None:
    # "mbox:…" and "openid:…" prefixes keep an openid from colliding with an mbox.
    mailto = "mailto:ada@example.com"
    by_mbox = actor_of(make_agent(mbox=mailto))
    by_openid = actor_of(make_agent(mbox=REMOVE, openid=mailto))

    assert LEARNER_ID(ifi_of(by_mbox)) != LEARNER_ID(ifi_of(by_openid))


def test_anonymous_group_has_no_identity() -> None:
    group = actor_of(make_group())

    with pytest.raises(UnidentifiedActor) as caught:
        ifi_of(group)
    with pytest.raises(UnidentifiedActor):
        ifi_of_raw(make_group())
    assert isinstance(caught.value, DomainError)


def test_every_dataset_actor_has_the_same_ifi_raw_or_parsed() -> None:
    with gzip.open(DATASET, "rt", encoding="utf-8") as lines:
        statements = [json.loads(line) for line in lines]

    actors = [(raw["actor"], parse_statement(raw).actor) for raw in statements]

    assert all(ifi_of_raw(raw) == ifi_of(parsed) for raw, parsed in actors)
    ids = {LEARNER_ID(ifi_of(parsed)) for _, parsed in actors}
    assert len(ids) == 1_452  # distinct actors, as documented for the dataset
    assert all(re.fullmatch(r"[0-9a-f]{32}", id_) for id_ in ids)


def test_accounts_that_once_joined_into_one_key_are_two_learners() -> None:
    first = make_agent(mbox=REMOVE, account={"homePage": "http://a.org/x|y", "name": "z"})
    second = make_agent(mbox=REMOVE, account={"homePage": "http://a.org/x", "name": "y|z"})

    assert LEARNER_ID(ifi_of(actor_of(first))) != LEARNER_ID(ifi_of(actor_of(second)))


# Characters that matter to the encoding, among any others JSON can carry (no lone surrogates).
_TEXT = st.text(
    st.sampled_from("ab%|:/\x00\x1f\x7f7C") | st.characters(exclude_categories=["Cs"]),
    min_size=1,
    max_size=12,
)
_IFIS = st.one_of(
    st.builds(lambda v: ("mbox", v), _TEXT),
    st.builds(lambda v: ("mbox_sha1sum", v), st.text("0123456789abcdef", min_size=40, max_size=40)),
    st.builds(lambda v: ("openid", v), _TEXT),
    st.builds(lambda h, n: ("account", (h, n)), _TEXT, _TEXT),
)


def _document(ifi: tuple[str, Any]) -> dict[str, Any]:
    kind, value = ifi
    if kind == "account":
        return {"account": {"homePage": value[0], "name": value[1]}}
    return {kind: value}


def _lookalikes(ifi: tuple[str, Any]) -> list[tuple[str, Any]]:
    """IFIs that a careless encoding would confuse with ``ifi``: its account split at another
    "|", and its values with a reserved character swapped for the escape that stands for it."""
    kind, value = ifi
    swaps = [("|", "%7C"), ("%7C", "|"), ("%", "%25"), ("\x1f", "%1F"), ("%1F", "\x1f")]
    if kind != "account":
        return [(kind, value.replace(old, new)) for old, new in swaps]
    joined = f"{value[0]}|{value[1]}"
    resplit = [(joined[:i], joined[i + 1 :]) for i, char in enumerate(joined) if char == "|"]
    swapped = [(value[0].replace(old, new), value[1]) for old, new in swaps]
    return [("account", parts) for parts in resplit + swapped]


@given(first=_IFIS, data=st.data())
@settings(max_examples=1000, derandomize=True, database=None)
def test_distinct_ifis_have_distinct_keys_and_ids(first: tuple[str, Any], data: Any) -> None:
    second = data.draw(st.sampled_from(_lookalikes(first)) | _IFIS)
    key_of_first, key_of_second = ifi_of_raw(_document(first)), ifi_of_raw(_document(second))

    assert (key_of_first == key_of_second) == (first == second)
    assert (LEARNER_ID(key_of_first) == LEARNER_ID(key_of_second)) == (first == second)
    assert not any(separator in key_of_first for separator in "\x1f\x00")
