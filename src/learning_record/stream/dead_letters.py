"""The dead-letter topic: where a record that cannot be processed goes, with the reason, so
that no record of any shape stops the stream."""

from __future__ import annotations

from faust.types import EventT

from learning_record.domain import ingest
from learning_record.platform import logs
from learning_record.platform.topics import MAX_RECORD_BYTES
from learning_record.stream import instruments
from learning_record.stream.topics import dead_letter_topic

log = logs.get_logger(__name__)

# A reason names a path and a rule; pydantic messages quote part of the input, so bound them.
MAX_REASON_CHARS = 1000
# Room left for the headers: a value the topic took may not fit again once they are added.
MAX_PARKED_VALUE_BYTES = MAX_RECORD_BYTES - 64 * 1024


async def park(event: EventT[bytes], tenant: str, reason: str, value: bytes | None = None) -> None:
    """Send ``event``'s record (or ``value`` in its place) to the dead-letter topic."""
    message = event.message
    parked = value if value is not None else message.value or b""
    if len(parked) > MAX_PARKED_VALUE_BYTES:
        # The statements topic keeps the original forever, at the offset the headers name.
        reason = f"{reason} (value of {len(parked)} bytes left out: see the source offset)"
        parked = b""
    reason = reason[:MAX_REASON_CHARS]
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
        value=parked,
        headers={
            ingest.TENANT_HEADER: tenant.encode(),
            ingest.DLQ_REASON_HEADER: reason.encode("utf-8", "replace"),
            "lr-source-topic": message.topic.encode(),
            "lr-source-partition": str(message.partition).encode(),
            "lr-source-offset": str(message.offset).encode(),
        },
    )
