"""Scopes over HTTP: what each one lets a key do, and ``statements/read/mine`` reading only the
statements whose authority is the key itself (xAPI Communication 4.2)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest

from learning_record.domain.access import Scope
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.integration.test_statement_resource import Client, statement

STATEMENT_SCOPES = [
    # (scopes, may write, may read every statement, may read its own)
    ((Scope.STATEMENTS_WRITE,), True, False, False),
    ((Scope.STATEMENTS_READ,), False, True, True),
    ((Scope.STATEMENTS_READ_MINE,), False, False, True),
    ((Scope.ALL_READ,), False, True, True),
    ((Scope.ALL,), True, True, True),
    ((Scope.INDICATORS_READ,), False, False, False),
    ((Scope.PROCESS,), False, False, False),
    ((Scope.OPS,), False, False, False),
    ((Scope.ADMIN,), False, False, False),
]


@pytest.mark.parametrize(
    ("scopes", "writes", "reads_all", "reads_own"),
    STATEMENT_SCOPES,
    ids=[scopes[0].value for scopes, *_ in STATEMENT_SCOPES],
)
async def test_each_scope_grants_exactly_its_statement_operations(
    http: aiohttp.ClientSession,
    base_url: str,
    settings: Settings,
    scopes: tuple[Scope, ...],
    writes: bool,
    reads_all: bool,
    reads_own: bool,
) -> None:
    tenant = f"t{uuid.uuid4().hex[:10]}"
    writer = Client(http, base_url, await issue_key(settings, (Scope.ALL,), tenant))
    client = Client(http, base_url, await issue_key(settings, scopes, tenant))
    someone_elses = statement()
    assert (await writer.post(someone_elses))[0] == 200

    status, body = await client.post(statement())
    assert status == (200 if writes else 403)
    if not writes:
        assert body["error"]["code"] == "forbidden"
        assert body["error"]["details"] == {"needed": ["statements/write"]}

    status, body = await client.get({"statementId": someone_elses["id"]})
    assert status == (200 if reads_all else 404 if reads_own else 403)
    if not reads_own:
        assert body["error"]["details"] == {"needed": ["statements/read", "statements/read/mine"]}


@pytest.fixture
async def mine_and_other(
    http: aiohttp.ClientSession, base_url: str, settings: Settings
) -> tuple[Client, Client, Client]:
    """In one fresh tenant: a key reading only its own statements, another writer, and a
    reader of everything."""
    tenant = f"t{uuid.uuid4().hex[:10]}"
    mine = await issue_key(settings, (Scope.STATEMENTS_WRITE, Scope.STATEMENTS_READ_MINE), tenant)
    other = await issue_key(settings, (Scope.STATEMENTS_WRITE,), tenant)
    everything = await issue_key(settings, (Scope.STATEMENTS_READ,), tenant)
    return (
        Client(http, base_url, mine),
        Client(http, base_url, other),
        Client(http, base_url, everything),
    )


def key_of(client: Client) -> str:
    return client.headers["x-api-key"].split(".", 1)[0]


async def test_read_mine_queries_and_pages_only_the_keys_own_statements(
    mine_and_other: tuple[Client, Client, Client],
) -> None:
    mine, other, everything = mine_and_other
    own_ids: list[str] = []
    # Interleaved, so that every page of mine walks past statements of the other key.
    for _ in range(3):
        own = statement()
        assert (await mine.post(own))[0] == 200
        own_ids.append(own["id"])
        for _ in range(2):
            assert (await other.post(statement()))[0] == 200

    seen: list[str] = []
    status, page = await mine.get({"limit": "1", "ascending": "true"})
    while True:
        assert status == 200
        assert len(page["statements"]) == 1
        seen += [s["id"] for s in page["statements"]]
        if not page["more"]:
            break
        status, page = await mine.get(dict(parse_qsl(urlsplit(page["more"]).query)))

    assert seen == own_ids
    status, page = await everything.get({"limit": "100"})
    assert status == 200
    assert len(page["statements"]) == 9


async def test_read_mine_is_404_for_a_statement_of_another_key(
    mine_and_other: tuple[Client, Client, Client],
) -> None:
    mine, other, _ = mine_and_other
    theirs, own = statement(), statement()
    assert (await other.post(theirs))[0] == 200
    assert (await mine.post(own))[0] == 200

    status, body = await mine.get({"statementId": theirs["id"]})
    assert status == 404
    assert body["error"]["code"] == "not_found"
    status, body = await mine.get({"statementId": own["id"]})
    assert status == 200
    assert body["authority"] == {
        "objectType": "Agent",
        "account": {"homePage": "urn:learningrecord:api-key", "name": key_of(mine)},
    }


async def test_a_key_cannot_claim_another_keys_authority_2_4_9(
    mine_and_other: tuple[Client, Client, Client],
) -> None:
    mine, other, everything = mine_and_other
    mine_authority = {
        "objectType": "Agent",
        "account": {"homePage": "urn:learningrecord:api-key", "name": key_of(mine)},
    }
    forged = statement(authority=mine_authority)
    # Related to mine's authority in every other way: actor, and a reference to its statement.
    own = statement()
    assert (await mine.post(own))[0] == 200
    naming = statement(actor=mine_authority)
    referring = statement(object={"objectType": "StatementRef", "id": own["id"]})
    assert (await other.post([forged, naming, referring]))[0] == 200

    status, stored = await everything.get({"statementId": forged["id"]})
    assert status == 200
    assert stored["authority"]["account"]["name"] == key_of(other)  # overwritten by the LRS
    for theirs in (forged, naming, referring):
        assert (await mine.get({"statementId": theirs["id"]}))[0] == 404
    status, page = await mine.get({})
    assert status == 200
    assert [s["id"] for s in page["statements"]] == [own["id"]]
    assert page["more"] == ""


async def test_a_foreign_authority_outside_the_lrs_namespace_is_kept(
    mine_and_other: tuple[Client, Client, Client],
) -> None:
    _, other, everything = mine_and_other
    trusted = {"objectType": "Agent", "mbox": "mailto:registrar@example.org"}
    sent = statement(authority=trusted)
    assert (await other.post(sent))[0] == 200
    status, stored = await everything.get({"statementId": sent["id"]})
    assert status == 200
    assert stored["authority"] == trusted
