"""The dead-letter topic: where a record that cannot be processed goes, with the reason, so
that no record of any shape stops the stream. It keeps the record's own headers, so that
``lr dlq retry`` can send it again as it was (``domain.dead_letters``)."""

from __future__ import annotations

from collections.abc import Sequence

from faust.types import EventT

from learning_record.domain.dead_letters import dead_letter_headers
from learning_record.domain.process.free_text import scrubbed
from learning_record.platform import logs
from learning_record.platform.topics import MAX_RECORD_BYTES
from learning_record.stream import instruments
from learning_record.stream.topics import dead_letter_topic

log = logs.get_logger(__name__)

# A reason names a path and a rule; pydantic messages quote part of the input, so bound them.
MAX_REASON_CHARS = 1000
# Room left for the headers: a value the topic took may not fit again once they are added.
MAX_PARKED_VALUE_BYTES = MAX_RECORD_BYTES - 64 * 1024


async def park(
    event: EventT[bytes],
    tenant: str,
    reason: str,
    value: bytes | None = None,
    input_formats: Sequence[str] = (),
) -> None:
    """Send ``event``'s record (or ``value`` in its place) to the dead-letter topic, saying which
    ``input_formats`` it was tried as, if any."""
    message = event.message
    parked = value if value is not None else message.value or b""
    if len(parked) > MAX_PARKED_VALUE_BYTES:
        # The source topic keeps the original (for its retention), at the offset the headers name.
        reason = f"{reason} (value of {len(parked)} bytes left out: see the source offset)"
        parked = b""
    reason = reason[:MAX_REASON_CHARS]
    # A reason may quote the record ("'ada@example.org' is not in the field's $map"): logs carry
    # no personal data, the dead letter keeps the whole reason for `lr dlq show`.
    log.warning(
        "record_dead_lettered",
        tenant=tenant,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        reason=scrubbed(reason),
    )
    instruments.count_dead_letter()
    await dead_letter_topic.send(
        key=message.key,
        value=parked,
        headers=dead_letter_headers(
            dict(event.headers or {}),
            tenant=tenant,
            reason=reason,
            source=(message.topic, message.partition, message.offset),
            input_formats=input_formats,
        ),
    )
