"""The Kafka adapters of the ports of the statement intake (``services.ingest``) and of the
document store (``services.documents``).

Statements: one record per accepted batch on the statements topic, signed for the worker
(``lr-signature``: it skips validating again what the API validated) and acknowledged by every
in-sync replica. Attachments: one record ``<tenant>|<sha2>`` per new content on the compacted
attachments topic, every ack awaited before the statements that point to them are produced.
Documents: one record per change on the compacted documents topic, keyed by the document's
identifying parameters (``DocumentAddress.record_key``), a tombstone for a DELETE.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from learning_record.domain import ingest
from learning_record.domain.documents import Document, DocumentAddress
from learning_record.domain.erasure import ErasureRecord
from learning_record.domain.sealing import SEALED_HEADER
from learning_record.platform.settings import Settings
from learning_record.store.attachments import AttachmentContent
from learning_record.store.kafka_deadline import kafka_deadline
from learning_record.store.learner_keys import LearnerKeys
from learning_record.store.sealed_records import SEALED, sealed_record

CONTENT_TYPE_HEADER = "content-type"
UPDATED_HEADER = "lr-updated"


def _within(deadline_s: float) -> AbstractAsyncContextManager[None]:
    """``kafka_deadline`` on an acknowledgement. A record abandoned at the deadline may still be
    delivered once the broker is back; a retry of statements with their ids is idempotent (the
    view and the indicators count an id once)."""
    return kafka_deadline(deadline_s, "acknowledgement")


@dataclass(frozen=True, slots=True)
class KafkaStatementLog:
    producer: AIOKafkaProducer
    learner_keys: LearnerKeys
    topic: str
    signing_key: bytes
    deadline_s: float

    @classmethod
    def of(
        cls, producer: AIOKafkaProducer, learner_keys: LearnerKeys, settings: Settings
    ) -> KafkaStatementLog:
        signing_key = settings.ingest.signing_key.get_secret_value().encode()
        kafka = settings.kafka
        return cls(
            producer, learner_keys, kafka.statements_topic, signing_key, kafka.write_deadline_s
        )

    async def append(
        self, tenant: str, documents: Sequence[Mapping[str, Any]], key: bytes, defines: bool
    ) -> None:
        batch = await sealed_record(self.learner_keys, tenant, documents)
        async with _within(self.deadline_s):
            await self.producer.send_and_wait(
                self.topic,
                value=batch,
                key=key,
                headers=[
                    (ingest.TENANT_HEADER, tenant.encode()),
                    (ingest.SOURCE_HEADER, ingest.SOURCE_API),
                    (ingest.SIGNATURE_HEADER, ingest.signature(self.signing_key, tenant, batch)),
                    (ingest.DEFINE_HEADER, b"1" if defines else b"0"),
                    (SEALED_HEADER, SEALED),
                ],
            )


@dataclass(frozen=True, slots=True)
class KafkaAttachmentLog:
    producer: AIOKafkaProducer
    topic: str
    deadline_s: float

    async def append(self, tenant: str, contents: Mapping[str, AttachmentContent]) -> None:
        async with _within(self.deadline_s):
            await self._append(tenant, contents)

    async def _append(self, tenant: str, contents: Mapping[str, AttachmentContent]) -> None:
        deliveries = [
            await self.producer.send(
                self.topic,
                key=f"{tenant}|{sha2}".encode(),
                value=content.data,
                headers=[
                    (CONTENT_TYPE_HEADER, content.content_type.encode()),
                    (ingest.TENANT_HEADER, tenant.encode()),
                ],
            )
            for sha2, content in contents.items()
        ]
        await asyncio.gather(*deliveries)


@dataclass(frozen=True, slots=True)
class KafkaDocumentLog:
    producer: AIOKafkaProducer
    topic: str
    deadline_s: float

    async def append(
        self, tenant: str, address: DocumentAddress, document: Document | None
    ) -> None:
        headers = [(ingest.TENANT_HEADER, tenant.encode())]
        if document is not None:
            headers += [
                (CONTENT_TYPE_HEADER, document.content_type.encode()),
                (UPDATED_HEADER, str(document.updated_ms).encode()),
            ]
        async with _within(self.deadline_s):
            await self.producer.send_and_wait(
                self.topic,
                key=address.record_key(tenant),
                value=document.content if document is not None else None,
                headers=headers,
            )


@dataclass(frozen=True, slots=True)
class KafkaErasureLog:
    """The erasures topic, by erasure id: the requests and the audit trail."""

    producer: AIOKafkaProducer
    topic: str
    deadline_s: float

    async def append(self, record: ErasureRecord) -> None:
        async with _within(self.deadline_s):
            await self.producer.send_and_wait(
                self.topic, value=record.model_dump_json().encode(), key=record.id.encode()
            )
