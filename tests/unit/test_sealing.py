"""Sealed statements: each person readable only with their own data key (crypto-shredding).

A sealed record must hold nobody's identifier in clear, open back to exactly the statement that
was sealed, and, once a learner's keys are gone, show nothing of them: their own statements
vanish and their appearances in others' statements read as the placeholder.
"""

import base64
import copy
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learning_record.domain.access import key_authority
from learning_record.domain.data_keys import DataKey, KeyRef, learner_pseudonym
from learning_record.domain.errors import StatementInvalid
from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.sealing import (
    HOLE,
    PLACEHOLDER,
    Cut,
    SealedStatement,
    cut,
    opened,
    parsed_record,
    seal,
)
from tests.unit.factories import (
    REMOVE,
    make_activity,
    make_agent,
    make_statement,
    make_sub_statement,
)

SECRET = b"s" * 32
TENANT = "acme"
MARKER = "a secret answer: 4f2c9e"

ADA = make_agent()
ADA_BY_ACCOUNT = make_agent(
    name="Ada L.", mbox=REMOVE, account={"homePage": "https://lms.example.org", "name": "ada-77"}
)
BOB = make_agent(name="Bob Instructor", mbox="mailto:bob@example.com")
CAROL = make_agent(
    name="Carol Teammate",
    mbox=REMOVE,
    account={"homePage": "https://lms.example.org", "name": "carol-42"},
)
DAN = make_agent(name="Dan Teammate", mbox=REMOVE, openid="https://openid.example.org/dan")
ERIN = make_agent(
    name="Erin Object", mbox=REMOVE, mbox_sha1sum=hashlib.sha1(b"mailto:erin@x.org").hexdigest()
)
FRANK = make_agent(name="Frank Sub", mbox="mailto:frank@example.com")
LMS = make_agent(
    name="LMS Client",
    mbox=REMOVE,
    account={"homePage": "https://client.example.org", "name": "lms"},
)
TEAM = {"objectType": "Group", "name": "Team", "member": [CAROL, DAN]}
ERIN_GROUP = {"objectType": "Group", "name": "Reviewed", "member": [ERIN]}


def pseudonymise(ifi: str) -> str:
    return learner_pseudonym(SECRET, ifi)


def pseudonym_of(agent: Mapping[str, Any]) -> str:
    return pseudonymise(ifi_of_raw(agent))


def keys_for(statement: Cut) -> dict[str, DataKey]:
    return {pseudonym: DataKey.new(pseudonym) for pseudonym in statement.learners()}


def by_ref(keys: Iterable[DataKey]) -> dict[KeyRef, DataKey]:
    return {key.ref: key for key in keys}


@dataclass
class Sealed:
    record: bytes
    statement: SealedStatement
    keys: dict[str, DataKey]

    def all_keys(self) -> dict[KeyRef, DataKey]:
        return by_ref(self.keys.values())

    def keys_without(self, *agents: Mapping[str, Any]) -> dict[KeyRef, DataKey]:
        gone = {pseudonym_of(agent) for agent in agents}
        return by_ref(key for pseudonym, key in self.keys.items() if pseudonym not in gone)


def sealed(statement: Mapping[str, Any]) -> Sealed:
    """``statement`` as the log keeps it, read back, with the key of each learner it names."""
    statement_cut = cut(statement, pseudonymise)
    keys = keys_for(statement_cut)
    record = orjson.dumps([seal(TENANT, statement_cut, keys)])
    [read] = parsed_record(record)
    return Sealed(record, read, keys)


def replaced(document: Mapping[str, Any], path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of ``document`` with the value at ``path`` replaced."""
    result: Any = copy.deepcopy(document)
    *parents, last = path
    target = result
    for step in parents:
        target = target[step]
    target[last] = copy.deepcopy(value)
    return result


def everyone_statement() -> dict[str, Any]:
    """Ada, with an instructor, a team, a Group object, a client authority and a response."""
    return make_statement(
        actor=ADA,
        object=ERIN_GROUP,
        context={"instructor": BOB, "team": TEAM, "language": "en"},
        result={"response": MARKER, "success": True},
        authority=LMS,
    )


def sub_statement() -> dict[str, Any]:
    """Ada's statement about a SubStatement in which Frank acts on Erin's group, taught by Bob."""
    return make_statement(
        actor=ADA,
        object=make_sub_statement(actor=FRANK, object=ERIN_GROUP, context={"instructor": BOB}),
    )


AGENT_OBJECTS = [
    pytest.param(make_statement(object=ERIN), ("object",), id="agent_object"),
    pytest.param(
        make_statement(object=make_sub_statement(actor=FRANK, object=ERIN)),
        ("object", "object"),
        id="sub_statement_agent_object",
    ),
]


def hole(index: int) -> dict[str, Any]:
    """What ``cut`` leaves where it took an agent out."""
    return {"objectType": "Agent", HOLE: index}


# --- What the log holds --------------------------------------------------------------------------

ACTORS = [
    pytest.param(ADA, id="actor_by_mbox"),
    pytest.param(ADA_BY_ACCOUNT, id="actor_by_account"),
]


@pytest.mark.parametrize("actor", ACTORS)
def test_sealed_record_holds_no_identifier_name_or_free_text_of_anyone(
    actor: dict[str, Any],
) -> None:
    statement = replaced(everyone_statement(), ("actor",), actor)

    record = sealed(statement).record

    clear = [
        "ada@example.com",
        "Ada L",
        "ada-77",
        "bob@example.com",
        "Bob Instructor",
        "carol-42",
        "Carol Teammate",
        "openid.example.org/dan",
        "Dan Teammate",
        ERIN["mbox_sha1sum"],
        "Erin Object",
        "client.example.org",
        "LMS Client",
        MARKER,
        "4f2c9e",
    ]
    assert [value for value in clear if value.encode() in record] == []


@pytest.mark.parametrize("actor", ACTORS)
def test_sealed_record_opens_to_exactly_the_statement(actor: dict[str, Any]) -> None:
    statement = replaced(everyone_statement(), ("actor",), actor)
    log = sealed(statement)

    assert opened(TENANT, log.statement, log.all_keys()) == statement


def test_sealed_sub_statement_opens_to_exactly_the_statement() -> None:
    statement = sub_statement()
    log = sealed(statement)

    assert opened(TENANT, log.statement, log.all_keys()) == statement
    assert b"frank@example.com" not in log.record


def test_sealed_parts_name_each_learners_pseudonym_and_key() -> None:
    statement = everyone_statement()
    log = sealed(statement)

    assert log.statement.body.ref == log.keys[pseudonym_of(ADA)].ref
    assert log.statement.refs() == {key.ref for key in log.keys.values()}
    assert {part.learner for part in log.statement.agents} == {
        pseudonym_of(agent) for agent in (BOB, CAROL, DAN, ERIN, LMS)
    }


def test_sealing_twice_gives_different_ciphertexts() -> None:
    statement_cut = cut(everyone_statement(), pseudonymise)
    keys = keys_for(statement_cut)

    first, second = seal(TENANT, statement_cut, keys), seal(TENANT, statement_cut, keys)

    assert first["body"]["sealed"] != second["body"]["sealed"]
    assert first["agents"][0]["sealed"] != second["agents"][0]["sealed"]


def test_a_record_holds_several_sealed_statements() -> None:
    first, second = everyone_statement(), sub_statement()
    cuts = [cut(first, pseudonymise), cut(second, pseudonymise)]
    keys = keys_for(cuts[0]) | keys_for(cuts[1])

    record = orjson.dumps([seal(TENANT, each, keys) for each in cuts])

    assert [opened(TENANT, each, by_ref(keys.values())) for each in parsed_record(record)] == [
        first,
        second,
    ]


# --- Erasure: a learner's keys gone --------------------------------------------------------------


@pytest.mark.parametrize("statement", [everyone_statement(), sub_statement()])
def test_without_the_owners_key_the_statement_is_gone(statement: dict[str, Any]) -> None:
    log = sealed(statement)

    assert opened(TENANT, log.statement, log.keys_without(ADA)) is None


@pytest.mark.parametrize(
    ("statement", "absent", "path"),
    [
        pytest.param(everyone_statement(), BOB, ("context", "instructor"), id="instructor"),
        pytest.param(everyone_statement(), CAROL, ("context", "team", "member", 0), id="team_0"),
        pytest.param(everyone_statement(), DAN, ("context", "team", "member", 1), id="team_1"),
        pytest.param(everyone_statement(), ERIN, ("object", "member", 0), id="object_group_member"),
        pytest.param(everyone_statement(), LMS, ("authority",), id="client_authority"),
        pytest.param(sub_statement(), FRANK, ("object", "actor"), id="sub_statement_actor"),
        pytest.param(
            sub_statement(), ERIN, ("object", "object", "member", 0), id="sub_statement_object"
        ),
        pytest.param(
            sub_statement(), BOB, ("object", "context", "instructor"), id="sub_statement_instructor"
        ),
        pytest.param(
            make_statement(actor={"objectType": "Group", "member": [ADA, BOB]}),
            BOB,
            ("actor", "member", 1),
            id="actor_group_member",
        ),
    ],
)
def test_without_an_agents_key_exactly_that_agent_reads_as_the_placeholder(
    statement: dict[str, Any], absent: dict[str, Any], path: tuple[str | int, ...]
) -> None:
    log = sealed(statement)

    shown = opened(TENANT, log.statement, log.keys_without(absent))

    assert shown == replaced(statement, path, PLACEHOLDER)


@pytest.mark.parametrize(("statement", "path"), AGENT_OBJECTS)
def test_an_agent_object_is_cut_out_of_the_sealed_record(
    statement: dict[str, Any], path: tuple[str, ...]
) -> None:
    statement_cut = cut(statement, pseudonymise)
    log = sealed(statement)

    hole: Any = statement_cut.body
    for step in path:
        hole = hole[step]
    assert set(hole) == {"objectType", HOLE}
    assert statement_cut.agents[hole[HOLE]] == (pseudonym_of(ERIN), ERIN)
    assert ERIN["mbox_sha1sum"].encode() not in log.record


@pytest.mark.parametrize(("statement", "_path"), AGENT_OBJECTS)
def test_an_agent_object_opens_back_with_every_key(
    statement: dict[str, Any], _path: tuple[str, ...]
) -> None:
    log = sealed(statement)

    assert opened(TENANT, log.statement, log.all_keys()) == statement


@pytest.mark.parametrize(("statement", "path"), AGENT_OBJECTS)
def test_an_agent_object_without_its_key_reads_as_the_placeholder(
    statement: dict[str, Any], path: tuple[str, ...]
) -> None:
    log = sealed(statement)

    assert opened(TENANT, log.statement, log.keys_without(ERIN)) == replaced(
        statement, path, PLACEHOLDER
    )


def test_one_persons_appearances_all_read_as_the_placeholder() -> None:
    statement = make_statement(
        object=make_sub_statement(actor=BOB, object=make_activity()),
        context={"instructor": BOB, "team": {"objectType": "Group", "member": [CAROL, BOB]}},
    )
    log = sealed(statement)

    shown = opened(TENANT, log.statement, log.keys_without(BOB))

    expected = replaced(statement, ("object", "actor"), PLACEHOLDER)
    expected = replaced(expected, ("context", "instructor"), PLACEHOLDER)
    assert shown == replaced(expected, ("context", "team", "member", 1), PLACEHOLDER)
    assert b"bob@example.com" not in orjson.dumps(shown)


def test_placeholder_is_an_erased_account_agent() -> None:
    assert PLACEHOLDER == {
        "objectType": "Agent",
        "account": {"homePage": "urn:learningrecord:erased", "name": "erased"},
    }


# --- Who is cut out ------------------------------------------------------------------------------


def test_lrs_authority_stays_in_the_owners_part() -> None:
    statement = make_statement(authority=key_authority("k-1"))

    statement_cut = cut(statement, pseudonymise)

    assert statement_cut.learners() == {pseudonym_of(ADA)}
    assert statement_cut.agents == []
    assert statement_cut.body["authority"] == key_authority("k-1")


def test_lrs_authority_reads_back_with_the_owners_key_alone() -> None:
    statement = make_statement(authority=key_authority("k-1"))
    log = sealed(statement)

    assert opened(TENANT, log.statement, by_ref([log.keys[pseudonym_of(ADA)]])) == statement
    assert len(log.statement.agents) == 0


def test_client_authority_agent_is_cut_out() -> None:
    statement = make_statement(authority=LMS)

    statement_cut = cut(statement, pseudonymise)

    assert statement_cut.learners() == {pseudonym_of(ADA), pseudonym_of(LMS)}
    assert statement_cut.body["authority"] == hole(0)
    assert statement_cut.agents == [(pseudonym_of(LMS), LMS)]


def test_client_authority_group_members_are_cut_out() -> None:
    authority = {"objectType": "Group", "member": [LMS, BOB]}
    statement = make_statement(authority=authority)

    statement_cut = cut(statement, pseudonymise)

    assert statement_cut.body["authority"] == {
        "objectType": "Group",
        "member": [hole(0), hole(1)],
    }
    assert statement_cut.learners() == {pseudonym_of(agent) for agent in (ADA, LMS, BOB)}


def test_the_owner_appearing_again_is_not_cut_out() -> None:
    renamed = make_agent(name="Countess of Lovelace")
    statement = make_statement(
        context={"instructor": renamed, "team": {"objectType": "Group", "member": [ADA, BOB]}}
    )

    statement_cut = cut(statement, pseudonymise)

    assert statement_cut.learners() == {pseudonym_of(ADA), pseudonym_of(BOB)}
    assert statement_cut.body["context"]["instructor"] == renamed
    assert statement_cut.body["context"]["team"]["member"] == [ADA, hole(0)]


def test_agents_without_identifier_stay_in_the_owners_part() -> None:
    nameless = {"objectType": "Agent", "name": "Someone"}
    statement = make_statement(context={"instructor": nameless})

    statement_cut = cut(statement, pseudonymise)

    assert statement_cut.agents == []
    assert statement_cut.body["context"]["instructor"] == nameless


def test_activities_and_statement_refs_are_not_cut_out() -> None:
    statement = make_statement(
        context={"statement": {"objectType": "StatementRef", "id": "x"}, "language": "en"}
    )

    statement_cut = cut(statement, pseudonymise)

    assert statement_cut.agents == []
    assert statement_cut.body == statement


def test_anonymous_group_actor_is_owned_by_its_first_identified_member() -> None:
    nameless = {"objectType": "Agent", "name": "Someone"}
    actor = {"objectType": "Group", "member": [nameless, ADA, BOB]}
    statement = make_statement(actor=actor)

    statement_cut = cut(statement, pseudonymise)

    assert statement_cut.owner == pseudonym_of(ADA)
    assert statement_cut.body["actor"]["member"] == [nameless, ADA, hole(0)]
    assert statement_cut.agents == [(pseudonym_of(BOB), BOB)]


def test_identified_group_actor_is_owned_by_the_group_and_its_members_are_cut_out() -> None:
    actor = {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [ADA, BOB]}
    statement = make_statement(actor=actor)

    statement_cut = cut(statement, pseudonymise)

    assert statement_cut.owner == pseudonymise("mbox:mailto:team@example.com")
    assert statement_cut.body["actor"] == {
        "objectType": "Group",
        "mbox": "mailto:team@example.com",
        "member": [hole(0), hole(1)],
    }
    assert statement_cut.learners() == {
        pseudonymise("mbox:mailto:team@example.com"),
        pseudonym_of(ADA),
        pseudonym_of(BOB),
    }


def test_identified_group_actor_statement_opens_and_erases_a_member() -> None:
    actor = {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [ADA, BOB]}
    statement = make_statement(actor=actor)
    log = sealed(statement)

    assert opened(TENANT, log.statement, log.all_keys()) == statement
    assert opened(TENANT, log.statement, log.keys_without(ADA)) == replaced(
        statement, ("actor", "member", 0), PLACEHOLDER
    )


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(make_statement(actor=REMOVE), id="no_actor"),
        pytest.param(make_statement(actor={"objectType": "Agent", "name": "Ada"}), id="no_ifi"),
        pytest.param(make_statement(actor="mailto:ada@example.com"), id="not_an_object"),
        pytest.param(
            make_statement(actor={"objectType": "Group", "member": [{"name": "x"}]}),
            id="anonymous_group_of_nobody",
        ),
        pytest.param(
            make_statement(actor={"objectType": "Group", "member": "ada"}), id="members_not_a_list"
        ),
        pytest.param(
            make_statement(actor={"account": {"name": "ada"}}), id="account_without_home_page"
        ),
    ],
)
def test_cut_refuses_an_actor_that_identifies_nobody(statement: dict[str, Any]) -> None:
    with pytest.raises(StatementInvalid) as caught:
        cut(statement, pseudonymise)

    assert caught.value.path == "actor"
    assert "identifies nobody" in caught.value.reason


@pytest.mark.parametrize("statement", [everyone_statement(), sub_statement()])
def test_cut_never_changes_its_input(statement: dict[str, Any]) -> None:
    before = copy.deepcopy(statement)

    cut(statement, pseudonymise)

    assert statement == before


# --- What is refused -----------------------------------------------------------------------------


def _record_of(statement: Mapping[str, Any]) -> list[dict[str, Any]]:
    statement_cut = cut(statement, pseudonymise)
    record = seal(TENANT, statement_cut, keys_for(statement_cut))
    return [orjson.loads(orjson.dumps(record))]


ADA_RECORD = _record_of(make_statement())[0]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(orjson.dumps(_record_of(everyone_statement())[0]), id="not_a_list"),
        pytest.param(orjson.dumps([make_statement()]), id="plain_statements"),
        pytest.param(orjson.dumps([{**ADA_RECORD, "x": 1}]), id="extra_statement_field"),
        pytest.param(
            orjson.dumps([{"body": {**ADA_RECORD["body"], "clear": "x"}}]),
            id="extra_part_field",
        ),
        pytest.param(orjson.dumps([{"agents": []}]), id="no_body"),
        pytest.param(orjson.dumps([{"body": {"learner": "p", "key": "k"}}]), id="no_ciphertext"),
        pytest.param(
            orjson.dumps([{"body": {"learner": "p", "key": "k", "sealed": 7}}]),
            id="ciphertext_not_text",
        ),
        pytest.param(b"[{", id="not_json"),
        pytest.param(b"", id="empty"),
    ],
)
def test_parsed_record_refuses_what_is_not_sealed(value: bytes) -> None:
    with pytest.raises(StatementInvalid, match="not a sealed record"):
        parsed_record(value)


def test_parsed_record_of_an_empty_list_is_empty() -> None:
    assert parsed_record(b"[]") == []


def test_opened_refuses_a_wrong_key_for_the_owner() -> None:
    log = sealed(everyone_statement())
    keys = log.all_keys()
    owner = log.statement.body.ref
    keys[owner] = DataKey(owner, b"w" * 32)

    with pytest.raises(StatementInvalid, match="does not open with its key"):
        opened(TENANT, log.statement, keys)


def test_opened_refuses_a_wrong_key_for_a_cut_out_agent() -> None:
    log = sealed(everyone_statement())
    keys = log.all_keys()
    bob = log.keys[pseudonym_of(BOB)].ref
    keys[bob] = DataKey(bob, b"w" * 32)

    with pytest.raises(StatementInvalid, match="does not open with its key"):
        opened(TENANT, log.statement, keys)


def _tampered(part: dict[str, Any]) -> dict[str, Any]:
    raw = bytearray(base64.b64decode(part["sealed"]))
    raw[-1] ^= 0x01
    return {**part, "sealed": base64.b64encode(bytes(raw)).decode()}


@pytest.mark.parametrize("which", ["body", "agent"])
def test_opened_refuses_a_tampered_ciphertext(which: str) -> None:
    log = sealed(everyone_statement())
    [record] = orjson.loads(log.record)
    if which == "body":
        record["body"] = _tampered(record["body"])
    else:
        record["agents"][0] = _tampered(record["agents"][0])
    [statement] = parsed_record(orjson.dumps([record]))

    with pytest.raises(StatementInvalid, match="does not open with its key"):
        opened(TENANT, statement, log.all_keys())


@pytest.mark.parametrize(
    "sealed_value",
    [
        pytest.param("not base64!", id="not_base64"),
        pytest.param("", id="empty"),
        pytest.param(base64.b64encode(b"short").decode(), id="shorter_than_a_nonce"),
    ],
)
def test_opened_refuses_a_ciphertext_that_is_not_one(sealed_value: str) -> None:
    log = sealed(everyone_statement())
    body = log.statement.body.model_copy(update={"sealed": sealed_value})
    statement = SealedStatement(body=body, agents=log.statement.agents)

    with pytest.raises(StatementInvalid, match="does not open with its key"):
        opened(TENANT, statement, log.all_keys())


def test_opened_refuses_a_statement_sealed_for_another_tenant() -> None:
    log = sealed(everyone_statement())

    with pytest.raises(StatementInvalid, match="does not open with its key"):
        opened("globex", log.statement, log.all_keys())


def test_opened_refuses_agent_parts_moved_between_learners() -> None:
    log = sealed(make_statement(context={"instructor": BOB, "team": TEAM}))
    [record] = orjson.loads(log.record)
    bob_part, carol_part = record["agents"][0], record["agents"][1]
    record["agents"][0] = {**bob_part, "sealed": carol_part["sealed"]}
    [statement] = parsed_record(orjson.dumps([record]))

    with pytest.raises(StatementInvalid, match="does not open with its key"):
        opened(TENANT, statement, log.all_keys())


@pytest.mark.parametrize("agents", [0, 1])
def test_opened_refuses_a_hole_beyond_the_agents(agents: int) -> None:
    log = sealed(make_statement(context={"instructor": BOB, "team": TEAM}))  # holes 0, 1, 2
    truncated = SealedStatement(body=log.statement.body, agents=log.statement.agents[:agents])

    with pytest.raises(StatementInvalid, match=f"has no agent {agents}"):
        opened(TENANT, truncated, log.all_keys())


def test_opened_refuses_a_negative_hole() -> None:
    owner = DataKey.new(pseudonym_of(ADA))
    body = make_statement(context={"instructor": {HOLE: -1}})
    statement_cut = Cut(owner.ref.pseudonym, body)
    [statement] = parsed_record(
        orjson.dumps([seal(TENANT, statement_cut, {owner.ref.pseudonym: owner})])
    )

    with pytest.raises(StatementInvalid, match="has no agent -1"):
        opened(TENANT, statement, by_ref([owner]))


def test_hole_lookalikes_outside_agent_places_are_kept() -> None:
    statement = make_statement(
        result={"extensions": {"https://example.com/x": {HOLE: 0}}},
        context={"instructor": BOB, "extensions": {"https://example.com/y": [{HOLE: 0}]}},
    )
    log = sealed(statement)

    assert opened(TENANT, log.statement, log.all_keys()) == statement


# --- Reserved names and shared constants --------------------------------------------------------


def test_a_hole_lookalike_in_an_agent_place_is_refused() -> None:
    statement = make_statement(
        context={"instructor": hole(0), "team": {"objectType": "Group", "member": [BOB]}}
    )

    with pytest.raises(StatementInvalid, match="lr-sealed-agent is reserved"):
        cut(statement, pseudonymise)


def test_changing_an_opened_placeholder_leaves_the_placeholder_alone() -> None:
    statement = make_statement(context={"instructor": BOB})
    log = sealed(statement)
    before = copy.deepcopy(dict(PLACEHOLDER))

    shown = opened(TENANT, log.statement, log.keys_without(BOB))
    assert shown is not None
    shown["context"]["instructor"]["account"]["name"] = "changed"

    assert before == PLACEHOLDER


# --- Properties ----------------------------------------------------------------------------------

IFI_KINDS = ("mbox", "mbox_sha1sum", "openid", "account")
SLOTS = ("actor", "instructor", "team", "authority", "object", "sub_actor", "sub_instructor")
SUB_SLOTS = ("sub_actor", "sub_instructor")
# Free text without digits: no person's identifier (each holds its number) can appear in it.
FREE_TEXT = st.text(st.characters(exclude_categories=["Cs", "Nd"]), max_size=40)
TOKENS = st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)


@dataclass
class Person:
    index: int
    agent: dict[str, Any]
    identifiers: list[str]


@st.composite
def people(draw: st.DrawFn, index: int) -> Person:
    token, kind = draw(TOKENS), draw(st.sampled_from(IFI_KINDS))
    agent: dict[str, Any] = {"objectType": "Agent"}
    if kind == "mbox":
        agent["mbox"] = f"mailto:p{index}.{token}@example.org"
    elif kind == "mbox_sha1sum":
        agent["mbox_sha1sum"] = hashlib.sha1(f"p{index}.{token}".encode()).hexdigest()
    elif kind == "openid":
        agent["openid"] = f"https://id.example.org/p{index}/{token}"
    else:
        home_page = draw(st.sampled_from(["https://lms.example.org", "https://b.example.net"]))
        agent["account"] = {"homePage": home_page, "name": f"p{index}-{token}"}
    identifiers = [agent["account"]["name"] if kind == "account" else agent[kind]]
    if draw(st.booleans()):
        agent["name"] = f"Person {index} {token}"
        identifiers.append(agent["name"])
    return Person(index, agent, identifiers)


Shown = Callable[[Person], Mapping[str, Any]]


@dataclass
class Scenario:
    """Person 0 owns a statement in which the others (and maybe person 0 again) appear."""

    persons: list[Person]
    slots: dict[str, list[int]]
    actor_kind: str
    lrs_authority: bool
    response: str

    def statement(self, shown: Shown) -> dict[str, Any]:
        owner = self.persons[0]

        def agents(slot: str) -> list[Any]:
            return [dict(shown(self.persons[index])) for index in self.slots[slot]]

        def one_or_group(members: list[Any]) -> Any:
            return members[0] if len(members) == 1 else {"objectType": "Group", "member": members}

        if self.actor_kind == "agent":
            actor: dict[str, Any] = dict(owner.agent)
        elif self.actor_kind == "anonymous":
            actor = {"objectType": "Group", "member": [owner.agent, *agents("actor")]}
        else:
            ifi = {name: value for name, value in owner.agent.items() if name != "objectType"}
            actor = {"objectType": "Group", **ifi, "member": agents("actor")}
        target = one_or_group(agents("object")) if self.slots["object"] else make_activity()
        if any(self.slots[slot] for slot in SUB_SLOTS):
            target = make_sub_statement(
                actor=one_or_group(agents("sub_actor")) if self.slots["sub_actor"] else owner.agent,
                object=target,
                context={"instructor": one_or_group(agents("sub_instructor"))}
                if self.slots["sub_instructor"]
                else {"language": "en"},
            )
        context: dict[str, Any] = {"language": "fr"}
        if self.slots["instructor"]:
            context["instructor"] = one_or_group(agents("instructor"))
        if self.slots["team"]:
            context["team"] = {"objectType": "Group", "name": "Team", "member": agents("team")}
        statement = make_statement(
            actor=actor,
            object=target,
            context=context,
            result={"response": self.response, "success": True, "score": {"scaled": 0.5}},
        )
        if self.slots["authority"]:
            statement["authority"] = one_or_group(agents("authority"))
        elif self.lrs_authority:
            statement["authority"] = key_authority("k-1")
        return statement


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(min_value=2, max_value=6))
    persons = [draw(people(index)) for index in range(count)]
    slots: dict[str, list[int]] = {slot: [] for slot in SLOTS}
    for person in persons:
        allowed = SLOTS[1:] if person.index == 0 else SLOTS
        chosen = draw(
            st.sets(st.sampled_from(allowed), min_size=1 if person.index else 0, max_size=3)
        )
        for slot in chosen:
            slots[slot].append(person.index)
    actor_kind = draw(st.sampled_from(["agent", "anonymous", "identified"]))
    if slots["actor"] and actor_kind == "agent":
        actor_kind = "anonymous"
    return Scenario(persons, slots, actor_kind, draw(st.booleans()), draw(FREE_TEXT))


def _as_themselves(person: Person) -> Mapping[str, Any]:
    return person.agent


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_sealing_then_opening_with_every_key_gives_the_statement_back(scenario: Scenario) -> None:
    statement = scenario.statement(_as_themselves)
    before = copy.deepcopy(statement)

    log = sealed(statement)

    assert statement == before
    assert opened(TENANT, log.statement, log.all_keys()) == statement
    assert log.statement.body.learner == pseudonym_of(scenario.persons[0].agent)
    identifiers = [value for person in scenario.persons for value in person.identifiers]
    assert [value for value in identifiers if value.encode() in log.record] == []


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_without_some_peoples_keys_they_read_as_the_placeholder_and_nowhere_else(
    scenario: Scenario, data: st.DataObject
) -> None:
    others = range(1, len(scenario.persons))
    removed = data.draw(st.sets(st.sampled_from(others), min_size=1), label="removed")
    log = sealed(scenario.statement(_as_themselves))
    keys = log.keys_without(*(scenario.persons[index].agent for index in removed))

    shown = opened(TENANT, log.statement, keys)

    def erased(person: Person) -> Mapping[str, Any]:
        return PLACEHOLDER if person.index in removed else person.agent

    assert shown == scenario.statement(erased)
    text = orjson.dumps(shown)
    gone = [value for index in removed for value in scenario.persons[index].identifiers]
    kept = [person.identifiers[0] for person in scenario.persons if person.index not in removed]
    assert [value for value in gone if value.encode() in text] == []
    assert [value for value in kept if value.encode() not in text] == []
