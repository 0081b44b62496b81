"""The dead-letter topic: where a record that cannot be processed goes, with the reason, so
that no record of any shape stops the stream. It keeps the record's own headers, so that
``lr dlq retry`` can send it again as it was (``domain.dead_letters``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from faust.types import EventT

from learning_record.domain.dead_letters import dead_letter_headers
from learning_record.domain.process.free_text import scrubbed
from learning_record.stream import instruments
from learning_record.stream.topics import dead_letter_topic

log = logging.getLogger(__name__)


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
    # A reason may quote the record ("'ada@example.org' is not in the field's $map"): logs carry
    # no personal data, the dead letter keeps the whole reason for `lr dlq show`.
    log.warning(
        "record_dead_lettered tenant=%s topic=%s partition=%s offset=%s reason=%s",
        tenant,
        message.topic,
        message.partition,
        message.offset,
        scrubbed(reason),
    )
    instruments.count_dead_letter()
    await dead_letter_topic.send(
        key=message.key,
        value=value if value is not None else message.value or b"",
        headers=dead_letter_headers(
            dict(event.headers or {}),
            tenant=tenant,
            reason=reason,
            source=(message.topic, message.partition, message.offset),
            input_formats=input_formats,
        ),
    )
