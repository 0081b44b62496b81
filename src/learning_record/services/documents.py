"""Storing documents: the use case behind the State, Activity Profile and Agent Profile
resources (xAPI Communication 2.2 to 2.7, 3.1), with no HTTP in it.

Every change of a document is one write under the document's lease (``store.documents``):
take the lease and read the document; check If-Match / If-None-Match against its ETag (412),
the Profile resources' demand for one of them (409) and the context's size; compute the new
content (a PUT's body, a POST's merge); append the change to the document log (a tombstone for
a DELETE) and wait for its acknowledgement; then write Redis under the lease, if the document
still has the ETag the write was decided on. A write that finds the lease held waits for it, so
of two racing ``If-Match`` writers of one ETag, one wins and the other gets 412.

The document log is a port (``Protocol``): the API passes Kafka, the component tests a double.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from learning_record.domain.documents import (
    Document,
    DocumentAddress,
    DocumentConflict,
    DocumentContext,
    DocumentLimitReached,
    Preconditions,
    merged,
)
from learning_record.domain.errors import DependencyUnavailable
from learning_record.platform.clock import now_ms
from learning_record.store import documents as store
from learning_record.store.connection import RedisClient
from learning_record.store.documents import Lease, Listing

log = logging.getLogger(__name__)

# How often a write waiting for another write's lease asks again.
_LEASE_POLL_S = 0.005


class DocumentLog(Protocol):
    """The system of record: ``append`` returns once the change is durable (None: deleted)."""

    async def append(
        self, tenant: str, address: DocumentAddress, document: Document | None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Change:
    """What a caller asks of one document: a PUT (``merge`` False), a POST (True), or a
    DELETE (``content`` None)."""

    content_type: str = ""
    content: bytes | None = None
    merge: bool = False
    preconditions: Preconditions = field(default_factory=Preconditions)
    # A PUT or DELETE of a Profile document: If-Match or If-None-Match is needed to change an
    # existing one (3.1.s3.b1).
    precondition_required: bool = False


@dataclass(frozen=True, slots=True)
class DocumentStore:
    redis: RedisClient
    log: DocumentLog
    lease_ms: int  # longer than the log's write deadline: a write never outlives its lease
    max_per_context: int
    clock: Callable[[], int] = now_ms

    async def change(self, tenant: str, address: DocumentAddress, change: Change) -> None:
        async with self._leased(tenant, address) as lease:
            current = lease.current
            change.preconditions.check(current.etag if current else None)
            if (
                current is not None
                and change.precondition_required
                and not change.preconditions.given
            ):
                raise DocumentConflict(
                    "the document exists: check its current state (GET), then send "
                    "If-Match with its ETag to change it (xAPI 3.1.s4.b14)"
                )
            document = self._changed(current, change)
            if document is None and current is None:
                # Deleting what does not exist changes nothing: no record, no Redis write.
                await store.release(self.redis, tenant, address, lease)
                return
            if current is None and lease.context_size >= self.max_per_context:
                raise DocumentLimitReached(
                    f"this context holds {lease.context_size} documents, the most it may: "
                    "delete some before storing new ones"
                )
            await self.log.append(tenant, address, document)
            await self._write(tenant, address, lease, document)

    async def delete_all(self, tenant: str, context: DocumentContext) -> None:
        """Every document of a State context, one by one (each its own write)."""
        for address in await store.context_addresses(self.redis, tenant, context):
            await self.change(tenant, address, Change())

    async def fetch(self, tenant: str, address: DocumentAddress) -> Document | None:
        return await store.fetch(self.redis, tenant, address)

    async def ids(self, tenant: str, context: DocumentContext, since_ms: float | None) -> Listing:
        return await store.list_ids(self.redis, tenant, context, since_ms)

    def _changed(self, current: Document | None, change: Change) -> Document | None:
        if change.content is None:
            return None
        content = change.content
        if change.merge and current is not None:
            content = merged(current, change.content_type, content)
            return Document(current.content_type, content, self.clock())
        return Document(change.content_type, content, self.clock())

    async def _write(
        self, tenant: str, address: DocumentAddress, lease: Lease, document: Document | None
    ) -> None:
        outcome = await store.write(self.redis, tenant, address, lease, document)
        if outcome != "written":
            # The log has the change but Redis does not: only a lease that expired while the
            # log was slower than its deadline gets here (docs/documents.md).
            log.error("document_write_lost tenant=%s outcome=%s", tenant, outcome)
            raise DependencyUnavailable("kafka", "the write outlived its lease; send it again")

    @asynccontextmanager
    async def _leased(self, tenant: str, address: DocumentAddress) -> AsyncIterator[Lease]:
        """The document's lease, waited for while another write holds it; given back unless
        the write consumed it."""
        token = uuid.uuid4().hex
        try:
            async with asyncio.timeout(self.lease_ms / 1000):
                # Another process may hold it: nothing to wait on but Redis itself.
                while True:
                    lease = await self._try_lease(tenant, address, token)
                    if lease is not None:
                        break
                    await asyncio.sleep(_LEASE_POLL_S)
        except TimeoutError:
            raise DependencyUnavailable(
                "kafka", "another write of this document still waits for its acknowledgement"
            ) from None
        try:
            yield lease
        except BaseException:
            await store.release(self.redis, tenant, address, lease)
            raise

    async def _try_lease(self, tenant: str, address: DocumentAddress, token: str) -> Lease | None:
        return await store.take_lease(self.redis, tenant, address, token, self.lease_ms)
