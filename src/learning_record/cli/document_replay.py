"""``lr replay``, documents: rebuild the Redis document view from the documents topic.

The topic is compacted: it holds the last change of each document (a tombstone for a deleted
one, until the broker drops it) and maybe older changes not compacted yet. Applying every
record in each partition's order (a document's records all live in one partition) leaves each
document as its last record says, which is what the live path left in Redis
(docs/documents.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import ConsumerRecord

from learning_record.api.kafka_logs import CONTENT_TYPE_HEADER, UPDATED_HEADER
from learning_record.cli.statement_log import TopicFromStart
from learning_record.domain.documents import Document, DocumentAddress
from learning_record.platform.settings import Settings
from learning_record.store import documents as store
from learning_record.store.connection import RedisClient
from learning_record.store.learner_keys import SEGMENT_ROLL

# Documents per Redis pipeline.
_WRITE_CHUNK = 200


@dataclass
class DocumentReplayReport:
    records: int = 0
    documents: int = 0  # in the view afterwards
    deleted_keys: int = 0


async def replay_documents(
    settings: Settings, redis: RedisClient, tenant: str | None = None
) -> DocumentReplayReport:
    report = DocumentReplayReport()
    report.deleted_keys = await store.forget(redis, tenant or "*")
    pending: list[tuple[str, DocumentAddress, Document | None]] = []
    kept: set[bytes | None] = set()  # the keys of the documents that exist
    async with TopicFromStart(settings, settings.kafka.documents_topic) as log:
        async for record in log.in_partition_order():
            report.records += 1
            change = _change(record)
            if change is None or (tenant is not None and change[0] != tenant):
                continue
            if change[2] is None:
                kept.discard(record.key)
            else:
                kept.add(record.key)
            pending.append(change)
            if len(pending) >= _WRITE_CHUNK:
                await store.restore(redis, pending)
                pending.clear()
    await store.restore(redis, pending)
    report.documents = len(kept)
    return report


def _change(
    record: ConsumerRecord[bytes, bytes],
) -> tuple[str, DocumentAddress, Document | None] | None:
    """The document a record sets (None: deleted); None for a record that is not ours."""
    if record.key is None or record.key == SEGMENT_ROLL:
        return None
    tenant, address = DocumentAddress.from_record_key(record.key)
    if record.value is None:
        return tenant, address, None
    headers = dict(record.headers or ())
    content_type = headers[CONTENT_TYPE_HEADER].decode()
    updated_ms = int(headers[UPDATED_HEADER])
    return tenant, address, Document(content_type, record.value, updated_ms)
