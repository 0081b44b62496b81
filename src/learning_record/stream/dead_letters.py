"""The dead-letter topic: where a record that cannot be processed goes, with the reason, so
that no record of any shape stops the stream."""

from __future__ import annotations

from faust.types import EventT

from learning_record.domain import ingest
from learning_record.platform import logs
from learning_record.stream import instruments
from learning_record.stream.topics import dead_letter_topic

log = logs.get_logger(__name__)


async def park(event: EventT[bytes], tenant: str, reason: str, value: bytes | None = None) -> None:
    """Send ``event``'s record (or ``value`` in its place) to the dead-letter topic."""
    message = event.message
    log.warning(
        "record_dead_lettered",
        tenant=tenant,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        reason=reason,
    )
    instruments.count_dead_letter()
    await dead_letter_topic.send(
        key=message.key,
        value=value if value is not None else message.value or b"",
        headers={
            ingest.TENANT_HEADER: tenant.encode(),
            ingest.DLQ_REASON_HEADER: reason.encode("utf-8", "replace"),
            "lr-source-topic": message.topic.encode(),
            "lr-source-partition": str(message.partition).encode(),
            "lr-source-offset": str(message.offset).encode(),
        },
    )
