"""Dead letters: records the worker could not process, kept on the dead-letter topic with their
original bytes and headers, why, and where from, so that an operator can read them and send them
again once the cause is fixed (``lr dlq``, docs/operations.md).

A dead letter's headers are the original record's, then those below; taking these away gives
back the record as it was sent (its tenant header set, to the default tenant if it had none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from learning_record.domain.ingest import DLQ_REASON_HEADER, TENANT_HEADER, header_text

# The input formats a raw record was tried as, comma-separated (docs/process.md).
INPUT_FORMATS_HEADER = "lr-dlq-input-format"
SOURCE_TOPIC_HEADER = "lr-source-topic"
SOURCE_PARTITION_HEADER = "lr-source-partition"
SOURCE_OFFSET_HEADER = "lr-source-offset"
_ADDED_HEADERS = frozenset(
    {
        DLQ_REASON_HEADER,
        INPUT_FORMATS_HEADER,
        SOURCE_TOPIC_HEADER,
        SOURCE_PARTITION_HEADER,
        SOURCE_OFFSET_HEADER,
    }
)


def dead_letter_headers(
    original: Mapping[str, bytes],
    *,
    tenant: str,
    reason: str,
    source: tuple[str, int, int],
    input_formats: Sequence[str] = (),
) -> dict[str, bytes]:
    """The headers of the dead letter of a record read at ``source`` (topic, partition, offset)."""
    topic, partition, offset = source
    headers = {name: value for name, value in original.items() if name not in _ADDED_HEADERS}
    headers[TENANT_HEADER] = tenant.encode()
    headers[DLQ_REASON_HEADER] = reason.encode("utf-8", "replace")
    headers[SOURCE_TOPIC_HEADER] = topic.encode()
    headers[SOURCE_PARTITION_HEADER] = str(partition).encode()
    headers[SOURCE_OFFSET_HEADER] = str(offset).encode()
    if input_formats:
        headers[INPUT_FORMATS_HEADER] = ",".join(input_formats).encode()
    return headers


class DeadLetter(BaseModel):
    """One record of the dead-letter topic, read back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    @property
    def tenant(self) -> str:
        return header_text(self.headers, TENANT_HEADER) or ""

    @property
    def reason(self) -> str:
        return header_text(self.headers, DLQ_REASON_HEADER) or ""

    @property
    def source_topic(self) -> str | None:
        return header_text(self.headers, SOURCE_TOPIC_HEADER)

    @property
    def source_position(self) -> str:
        """``partition/offset`` in the source topic, as the dead letter says."""
        partition = header_text(self.headers, SOURCE_PARTITION_HEADER) or "?"
        return f"{partition}/{header_text(self.headers, SOURCE_OFFSET_HEADER) or '?'}"

    @property
    def input_formats(self) -> list[str]:
        formats = header_text(self.headers, INPUT_FORMATS_HEADER)
        return formats.split(",") if formats else []

    def original_headers(self) -> dict[str, bytes]:
        """The headers to send the record again with: the original record's."""
        return {k: v for k, v in self.headers.items() if k not in _ADDED_HEADERS}


def offsets_of(spec: str) -> range:
    """The offsets an operator names: ``12`` or ``12-20`` (both ends included).

    ``ValueError`` saying what is expected otherwise.
    """
    first, dash, last = spec.partition("-")
    try:
        start = int(first)
        end = int(last) if dash else start
    except ValueError:
        raise ValueError(f"{spec!r} is not an offset (12) or a range of offsets (12-20)") from None
    if start < 0 or end < start:
        raise ValueError(f"{spec!r}: offsets are 0 or more, the range's first one first")
    return range(start, end + 1)
