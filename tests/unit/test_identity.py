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

from learning_record.domain.errors import DomainError, UnidentifiedActor
from learning_record.domain.identity import (
    ifi_of,
    ifi_of_raw,
    learner_id,
    learner_id_of_ifi,
    learner_key,
)
from learning_record.domain.xapi import Agent, Group, parse_statement
from tests.unit.factories import REMOVE, make_agent, make_group, make_statement

DATASET = Path(__file__).parent.parent / "data" / "fun-mooc-video-statements.json.gz"
SHA1 = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
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
]
# fmt: on


@pytest.mark.parametrize(("actor", "ifi"), IFI_KINDS)
def test_ifi_of_each_kind(actor: dict[str, Any], ifi: str) -> None:
    assert ifi_of(actor_of(actor)) == ifi


@pytest.mark.parametrize(("actor", "ifi"), IFI_KINDS)
def test_ifi_of_raw_document_matches_the_model(actor: dict[str, Any], ifi: str) -> None:
    assert ifi_of_raw(actor) == ifi


@pytest.mark.parametrize(("actor", "_ifi"), IFI_KINDS)
def test_learner_key_is_the_ifi(actor: dict[str, Any], _ifi: str) -> None:
    agent = actor_of(actor)

    assert learner_key(agent) == ifi_of(agent)


def test_same_agent_with_different_names_is_the_same_learner() -> None:
    ada = actor_of(make_agent(name="Ada Lovelace"))
    countess = actor_of(make_agent(name="Countess of Lovelace"))
    unnamed = actor_of(make_agent(name=REMOVE, objectType=REMOVE))

    assert ifi_of(ada) == ifi_of(countess) == ifi_of(unnamed)
    assert learner_id(ada) == learner_id(countess) == learner_id(unnamed)


def test_different_ifis_are_different_learners() -> None:
    by_mbox = actor_of(make_agent())
    by_account = actor_of(make_agent(mbox=REMOVE, account=FUN_ACCOUNT))
    by_other_mbox = actor_of(make_agent(mbox="mailto:bob@example.com"))

    assert len({learner_id(by_mbox), learner_id(by_account), learner_id(by_other_mbox)}) == 3


def test_same_value_under_another_ifi_kind_is_another_learner() -> None:
    # "mbox:…" and "openid:…" prefixes keep an openid from colliding with an mbox.
    mailto = "mailto:ada@example.com"
    by_mbox = actor_of(make_agent(mbox=mailto))
    by_openid = actor_of(make_agent(mbox=REMOVE, openid=mailto))

    assert learner_id(by_mbox) != learner_id(by_openid)


def test_learner_id_is_32_hex_digits_of_sha256_of_the_ifi() -> None:
    assert learner_id(actor_of(make_agent())) == "68eafda1f46e00db0da218684a2b2878"
    assert learner_id_of_ifi(f"account:http://fun-mooc.fr|{FUN_ACCOUNT['name']}") == (
        "0ec25078ae960a40ae11a1fbbdb560a9"
    )


def test_learner_id_of_a_raw_actor_matches_the_model() -> None:
    actor = make_agent(mbox=REMOVE, account=FUN_ACCOUNT)

    assert learner_id_of_ifi(ifi_of_raw(actor)) == learner_id(actor_of(actor))


def test_anonymous_group_has_no_identity() -> None:
    group = actor_of(make_group())

    with pytest.raises(UnidentifiedActor) as caught:
        ifi_of(group)
    with pytest.raises(UnidentifiedActor):
        learner_id(group)
    with pytest.raises(UnidentifiedActor):
        ifi_of_raw(make_group())
    assert isinstance(caught.value, DomainError)


def test_every_dataset_actor_has_the_same_ifi_raw_or_parsed() -> None:
    with gzip.open(DATASET, "rt", encoding="utf-8") as lines:
        statements = [json.loads(line) for line in lines]

    actors = [(raw["actor"], parse_statement(raw).actor) for raw in statements]

    assert all(ifi_of_raw(raw) == ifi_of(parsed) for raw, parsed in actors)
    ids = {learner_id(parsed) for _, parsed in actors}
    assert len(ids) == 1_452  # distinct actors, as documented for the dataset
    assert all(re.fullmatch(r"[0-9a-f]{32}", id_) for id_ in ids)
