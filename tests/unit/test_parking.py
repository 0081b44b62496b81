"""Parking a record: the dead letter keeps everything, the log line no personal data."""

from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from faust.types import EventT
from structlog.testing import capture_logs

from learning_record.stream import dead_letters

REASON = "custom: [0].verb.id: 'ada@example.org' is not in the field's $map"


@dataclass
class Message:
    topic: str = "lr.statements.raw"
    partition: int = 2
    offset: int = 41
    key: bytes | None = None
    value: bytes = b"ada@example.org;enrol"


@dataclass
class Event:
    message: Message = field(default_factory=Message)
    headers: dict[str, bytes] = field(default_factory=lambda: {"lr-tenant": b"acme"})


@dataclass
class Topic:
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, **record: Any) -> None:
        self.sent.append(record)


async def test_the_log_line_masks_what_the_dead_letter_keeps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = Topic()
    monkeypatch.setattr(dead_letters, "dead_letter_topic", topic)
    with capture_logs() as logged:
        await dead_letters.park(
            cast(EventT[bytes], Event()), "acme", REASON, input_formats=["custom"]
        )
    (record,) = topic.sent
    assert record["value"] == b"ada@example.org;enrol"
    assert record["headers"]["lr-dlq-reason"] == REASON.encode()
    assert logged == [
        {
            "event": "record_dead_lettered",
            "log_level": "warning",
            "tenant": "acme",
            "topic": "lr.statements.raw",
            "partition": 2,
            "offset": 41,
            "reason": "custom: [0].verb.id: '[email]' is not in the field's $map",
        }
    ]
