"""The raw normaliser's per-record step: it never raises, whatever the record."""

from pathlib import Path

import orjson
import pytest

from learning_record.platform.topics import MAX_RAW_RECORD_BYTES
from learning_record.stream.agents import raw_input
from learning_record.stream.agents.raw_input import Converted, RawRecord, Refused, convert
from learning_record.stream.mapping_folder import MappingFolder

SCORM = (
    Path(__file__).parent.parent / "data" / "process" / "scorm-2004" / "passed.json"
).read_bytes()


def record(value: bytes, **headers: bytes) -> RawRecord:
    return RawRecord({"lr-tenant": b"acme", **headers}, value, partition=1, offset=9)


def test_a_record_becomes_its_learners_records_for_its_tenant(tmp_path: Path) -> None:
    outcome = convert(record(SCORM), MappingFolder(tmp_path))
    assert isinstance(outcome, Converted)
    assert outcome.tenant == "acme"
    (forwarded,) = outcome.records
    assert [s["verb"]["id"] for s in orjson.loads(forwarded.value)] == [
        "http://adlnet.gov/expapi/verbs/completed",
        "http://adlnet.gov/expapi/verbs/passed",
    ]


def test_a_record_over_the_bound_is_refused_unread(tmp_path: Path) -> None:
    outcome = convert(record(b" " * (MAX_RAW_RECORD_BYTES + 1)), MappingFolder(tmp_path))
    assert outcome == Refused("acme", f"a raw record is at most {MAX_RAW_RECORD_BYTES} bytes", ())


def test_a_record_naming_a_missing_mapping_is_refused(tmp_path: Path) -> None:
    outcome = convert(record(b"a;b\n1;2\n", **{"lr-mapping": b"absent"}), MappingFolder(tmp_path))
    reason = f"no mapping 'absent' ({tmp_path / 'absent.yaml'} does not exist)"
    assert outcome == Refused("acme", reason, ("custom",))


def test_a_bug_refuses_the_record_instead_of_stopping_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(raw_input, "normalised", broken)
    outcome = convert(record(SCORM), MappingFolder(tmp_path))
    assert outcome == Refused("acme", "cannot be processed: KeyError", ())
