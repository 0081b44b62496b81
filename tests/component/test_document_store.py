"""Storing documents (``services.documents``) over a real ``redis-server``, with a double for
the document log: what is appended, in which order, and what Redis then holds, exactly."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from learning_record.domain.documents import (
    Document,
    DocumentAddress,
    DocumentConflict,
    DocumentContext,
    DocumentInvalid,
    DocumentKind,
    DocumentLimitReached,
    PreconditionFailed,
    Preconditions,
    etag_of,
)
from learning_record.services.documents import Change, DocumentStore
from learning_record.store import documents as store
from learning_record.store import keys
from tests.waiting import until

TENANT = "acme"
NOW_MS = 1_700_000_000_000
JSON = "application/json"
STATE = DocumentContext(DocumentKind.STATE, "https://example.com/a", "mbox:mailto:a@b.c")
PROFILE = DocumentContext(DocumentKind.ACTIVITY_PROFILE, activity_id="https://example.com/a")
BOOKMARK = DocumentAddress(STATE, "bookmark")
SETTINGS = DocumentAddress(PROFILE, "settings")


@dataclass
class RecordingLog:
    """The document log's double; ``gate`` holds every append until it is set."""

    appended: list[tuple[str, DocumentAddress, Document | None]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    waiting: int = 0

    async def append(
        self, tenant: str, address: DocumentAddress, document: Document | None
    ) -> None:
        if self.gate is not None:
            self.waiting += 1
            await self.gate.wait()
        self.appended.append((tenant, address, document))


def documents(redis: Redis, log: RecordingLog, most: int = 100) -> DocumentStore:
    return DocumentStore(redis, log, lease_ms=30_000, max_per_context=most, clock=lambda: NOW_MS)


def put(content: bytes, content_type: str = JSON, **headers: str) -> Change:
    return Change(content_type, content, preconditions=_preconditions(headers))


def post(content: bytes, content_type: str = JSON, **headers: str) -> Change:
    return Change(content_type, content, merge=True, preconditions=_preconditions(headers))


def _preconditions(headers: dict[str, str]) -> Preconditions:
    return Preconditions.from_headers(headers.get("if_match"), headers.get("if_none_match"))


def quoted(content: bytes) -> str:
    return f'"{etag_of(content)}"'


async def test_a_put_is_appended_then_stored(redis: Redis) -> None:
    log = RecordingLog()

    await documents(redis, log).change(TENANT, BOOKMARK, put(b'{"page":1}'))

    stored = Document(JSON, b'{"page":1}', NOW_MS)
    assert log.appended == [(TENANT, BOOKMARK, stored)]
    assert await store.fetch(redis, TENANT, BOOKMARK) == stored


async def test_a_post_merges_top_level_properties_2_2_s7(redis: Redis) -> None:
    service = documents(redis, RecordingLog())
    await service.change(TENANT, BOOKMARK, put(b'{"x":"foo","y":"bar","o":{"a":1}}'))

    await service.change(TENANT, BOOKMARK, post(b'{"x":"bash","z":"faz","o":{"b":2}}'))

    stored = await store.fetch(redis, TENANT, BOOKMARK)
    assert stored == Document(JSON, b'{"x":"bash","y":"bar","o":{"b":2},"z":"faz"}', NOW_MS)


@pytest.mark.parametrize(
    ("existing", "posted"),
    [
        (put(b"[1,2]"), post(b'{"a":1}')),
        (put(b'{"a":1}'), post(b"[1]")),
        (put(b"plain", "text/plain"), post(b'{"a":1}')),
        (put(b'{"a":1}'), post(b'{"a":2}', "text/plain")),
    ],
)
async def test_a_post_where_either_side_is_not_a_json_object_is_400_and_changes_nothing(
    redis: Redis, existing: Change, posted: Change
) -> None:
    log = RecordingLog()
    service = documents(redis, log)
    await service.change(TENANT, BOOKMARK, existing)
    before = await store.fetch(redis, TENANT, BOOKMARK)

    with pytest.raises(DocumentInvalid):
        await service.change(TENANT, BOOKMARK, posted)

    assert await store.fetch(redis, TENANT, BOOKMARK) == before
    assert len(log.appended) == 1


async def test_a_post_of_a_new_document_stores_it_as_sent(redis: Redis) -> None:
    await documents(redis, RecordingLog()).change(TENANT, BOOKMARK, post(b"raw", "text/plain"))

    assert await store.fetch(redis, TENANT, BOOKMARK) == Document("text/plain", b"raw", NOW_MS)


async def test_if_match_and_if_none_match_guard_every_write_3_1(redis: Redis) -> None:
    service = documents(redis, RecordingLog())
    with pytest.raises(PreconditionFailed):
        await service.change(TENANT, BOOKMARK, put(b"{}", if_match=quoted(b"{}")))
    await service.change(TENANT, BOOKMARK, put(b'{"a":1}', if_none_match="*"))

    with pytest.raises(PreconditionFailed):
        await service.change(TENANT, BOOKMARK, put(b'{"a":2}', if_none_match="*"))
    with pytest.raises(PreconditionFailed):
        await service.change(TENANT, BOOKMARK, post(b'{"a":2}', if_match=quoted(b"{}")))
    with pytest.raises(PreconditionFailed):
        await service.change(
            TENANT, BOOKMARK, Change(preconditions=_preconditions({"if_match": quoted(b"{}")}))
        )
    await service.change(TENANT, BOOKMARK, put(b'{"a":3}', if_match=quoted(b'{"a":1}')))

    assert await store.fetch(redis, TENANT, BOOKMARK) == Document(JSON, b'{"a":3}', NOW_MS)


async def test_a_profile_put_or_delete_over_an_existing_document_needs_a_header_3_1_s4_b13(
    redis: Redis,
) -> None:
    service = documents(redis, RecordingLog())
    required = Change(JSON, b'{"a":2}', precondition_required=True)
    await service.change(TENANT, SETTINGS, Change(JSON, b'{"a":1}', precondition_required=True))

    with pytest.raises(DocumentConflict, match="If-Match"):
        await service.change(TENANT, SETTINGS, required)
    with pytest.raises(DocumentConflict):
        await service.change(TENANT, SETTINGS, Change(precondition_required=True))

    assert await store.fetch(redis, TENANT, SETTINGS) == Document(JSON, b'{"a":1}', NOW_MS)


async def test_two_racing_if_match_writers_one_wins_one_gets_412(redis: Redis) -> None:
    log = RecordingLog()
    service = documents(redis, log)
    await service.change(TENANT, BOOKMARK, put(b'{"v":0}'))
    log.gate = asyncio.Event()
    seen = quoted(b'{"v":0}')

    first = asyncio.create_task(service.change(TENANT, BOOKMARK, put(b'{"v":1}', if_match=seen)))

    async def appending() -> int:
        return log.waiting

    await until(appending, lambda n: n == 1, what="the first write appending")
    second = asyncio.create_task(service.change(TENANT, BOOKMARK, put(b'{"v":2}', if_match=seen)))
    log.gate.set()
    outcomes = await asyncio.gather(first, second, return_exceptions=True)

    assert outcomes[0] is None
    assert isinstance(outcomes[1], PreconditionFailed)
    assert [d.content if d else None for _, _, d in log.appended] == [b'{"v":0}', b'{"v":1}']
    assert await store.fetch(redis, TENANT, BOOKMARK) == Document(JSON, b'{"v":1}', NOW_MS)


async def test_a_delete_appends_a_tombstone_and_deleting_nothing_appends_nothing(
    redis: Redis,
) -> None:
    log = RecordingLog()
    service = documents(redis, log)
    await service.change(TENANT, BOOKMARK, put(b"{}"))

    await service.change(TENANT, BOOKMARK, Change())
    await service.change(TENANT, BOOKMARK, Change())

    assert [d for _, _, d in log.appended] == [Document(JSON, b"{}", NOW_MS), None]
    assert await store.fetch(redis, TENANT, BOOKMARK) is None
    lease = keys.document_lease(TENANT, "state", STATE.digest, BOOKMARK.slot)
    assert await redis.exists(lease) == 0  # given back: the next write need not wait


async def test_every_refused_write_gives_its_lease_back(redis: Redis) -> None:
    service = documents(redis, RecordingLog())
    await service.change(TENANT, BOOKMARK, put(b"[1]"))

    with pytest.raises(PreconditionFailed):
        await service.change(TENANT, BOOKMARK, put(b"{}", if_none_match="*"))
    with pytest.raises(DocumentInvalid):
        await service.change(TENANT, BOOKMARK, post(b"{}"))

    lease = keys.document_lease(TENANT, "state", STATE.digest, BOOKMARK.slot)
    assert await redis.exists(lease) == 0


async def test_a_state_delete_without_id_deletes_the_context_of_its_registration(
    redis: Redis,
) -> None:
    service = documents(redis, RecordingLog())
    registration = "9e2a1ad4-6e5b-4a2f-8b0e-0b2c1f0e7d11"
    registered = DocumentContext(STATE.kind, STATE.activity_id, STATE.agent_ifi, registration)
    other = DocumentContext(STATE.kind, "https://example.com/other", STATE.agent_ifi)
    for address in (
        BOOKMARK,
        DocumentAddress(registered, "r1"),
        DocumentAddress(registered, "r2"),
        DocumentAddress(other, "kept"),
    ):
        await service.change(TENANT, address, put(b"{}"))

    await service.delete_all(TENANT, registered)
    assert (await service.ids(TENANT, STATE, None)).ids == ["bookmark"]

    await service.delete_all(TENANT, STATE)
    assert (await service.ids(TENANT, STATE, None)).ids == []
    assert (await service.ids(TENANT, other, None)).ids == ["kept"]


async def test_a_new_document_past_the_context_limit_is_refused(redis: Redis) -> None:
    service = documents(redis, RecordingLog(), most=1)
    await service.change(TENANT, BOOKMARK, put(b"{}"))

    with pytest.raises(DocumentLimitReached):
        await service.change(TENANT, DocumentAddress(STATE, "second"), put(b"{}"))
    await service.change(TENANT, BOOKMARK, put(b'{"still":"changeable"}'))

    assert (await service.ids(TENANT, STATE, None)).ids == ["bookmark"]


async def test_documents_of_one_tenant_are_not_another_s(redis: Redis) -> None:
    service = documents(redis, RecordingLog())
    await service.change(TENANT, BOOKMARK, put(b"{}"))

    assert await service.fetch("other", BOOKMARK) is None
    assert (await service.ids("other", STATE, None)).ids == []
