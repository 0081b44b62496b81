"""``lr dlq``: read the dead-letter topic, and send dead letters again to the topic they came
from, with their original bytes and headers (docs/operations.md, "Dead letters").

The dead-letter topic has one partition (``platform.topics``): an offset names one dead letter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from learning_record.domain.dead_letters import DeadLetter
from learning_record.domain.process.free_text import scrubbed
from learning_record.platform.kafka_access import client_options
from learning_record.platform.settings import Settings
from learning_record.platform.topics import MAX_RECORD_BYTES, ensure_topics


@dataclass(frozen=True, slots=True)
class Retried:
    offset: int
    topic: str | None  # where it was sent; None when it was not
    refusal: str = ""


async def dead_letters(settings: Settings, offsets: range | None, last: int) -> list[DeadLetter]:
    """The dead letters at ``offsets``, or the ``last`` ones when no offsets are named."""
    return [letter async for letter in _read(settings, offsets, last)]


async def retry(settings: Settings, offsets: range, done: Callable[[Retried], None]) -> None:
    """Send the dead letters at ``offsets`` again, each to its source topic, one by one, and
    tell ``done`` of each as it is: a failure midway leaves no doubt about what was sent."""
    ours = {
        settings.kafka.statements_topic,
        settings.kafka.raw_statements_topic,
        settings.kafka.direct_statements_topic,
        settings.kafka.erasures_topic,
    }
    producer = AIOKafkaProducer(
        **client_options(settings.kafka),
        enable_idempotence=True,
        acks="all",
        max_request_size=MAX_RECORD_BYTES,
    )
    await producer.start()
    try:
        async for letter in _read(settings, offsets):
            topic = letter.source_topic
            if topic not in ours:
                # Indicator operations and unknown sources are the worker's, not an operator's.
                refusal = (
                    f"it came from {topic}; only the statement topics are retried"
                    if topic
                    else "it does not say which topic it came from"
                )
                done(Retried(letter.offset, None, refusal))
                continue
            headers = list(letter.original_headers().items())
            await producer.send_and_wait(topic, letter.value, key=letter.key, headers=headers)
            done(Retried(letter.offset, topic))
    finally:
        await producer.stop()


async def _read(
    settings: Settings, offsets: range | None, last: int = 0
) -> AsyncIterator[DeadLetter]:
    await ensure_topics(settings.kafka)  # as every process does: an empty topic, not an error
    partition = TopicPartition(settings.kafka.dead_letter_topic, 0)
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka),
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
    )
    await consumer.start()
    try:
        consumer.assign([partition])
        first = (await consumer.beginning_offsets([partition]))[partition]
        end = (await consumer.end_offsets([partition]))[partition]
        start, stop = (offsets.start, offsets.stop) if offsets else (end - last, end)
        start, stop = max(start, first), min(stop, end)
        if start >= stop:
            return
        consumer.seek(partition, start)
        while await consumer.position(partition) < stop:
            fetched = await consumer.getmany(partition, timeout_ms=1000, max_records=100)
            for record in fetched.get(partition, []):
                if record.offset < stop:
                    yield DeadLetter(
                        offset=record.offset,
                        timestamp_ms=record.timestamp,
                        key=record.key,
                        value=record.value or b"",
                        headers={name: value or b"" for name, value in record.headers},
                    )
    finally:
        await consumer.stop()


def iso_time(letter: DeadLetter) -> str:
    return datetime.fromtimestamp(letter.timestamp_ms / 1000, UTC).isoformat(timespec="seconds")


def summary(letter: DeadLetter) -> dict[str, Any]:
    """What ``lr dlq list`` shows: where from, when and why, with personal data that a reason
    may quote (an e-mail address, a phone number, an IP address) masked; never the record."""
    return {
        "offset": letter.offset,
        "time": iso_time(letter),
        "tenant": letter.tenant,
        "source": f"{letter.source_topic or '?'}[{letter.source_position}]",
        "input_formats": letter.input_formats,
        "reason": scrubbed(letter.reason),
    }


def details(letter: DeadLetter) -> dict[str, Any]:
    """What ``lr dlq show`` shows: everything, the record as it was sent included."""
    return {
        **summary(letter),
        "reason": letter.reason,
        "headers": {
            name: value.decode("utf-8", "replace") for name, value in letter.headers.items()
        },
        "key": letter.key.decode("utf-8", "replace") if letter.key is not None else None,
        "value": letter.value.decode("utf-8", "replace"),
    }


def offset_spans(offsets: list[int]) -> str:
    """``3, 5-9``: sorted offsets as ranges."""
    spans: list[list[int]] = []
    for offset in offsets:
        if spans and spans[-1][1] == offset - 1:
            spans[-1][1] = offset
        else:
            spans.append([offset, offset])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
