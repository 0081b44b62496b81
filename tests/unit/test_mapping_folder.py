"""The raw stream's mappings: one file per name, read again when it changes."""

import os
from pathlib import Path

import pytest

from learning_record.domain.process.raw_record import RawRecordRefused
from learning_record.stream.mapping_folder import MappingFolder

DATA = Path(__file__).parent.parent / "data" / "process" / "custom"


def test_a_mapping_is_read_from_its_file_and_again_once_it_changed(tmp_path: Path) -> None:
    path = tmp_path / "lms-export.yaml"
    path.write_text((DATA / "lms-export.yaml").read_text())
    folder = MappingFolder(tmp_path)
    first = folder.mapping("lms-export")
    assert (first.input, first.delimiter) == ("csv", ";")
    assert folder.mapping("lms-export") is first
    path.write_text(path.read_text().replace('delimiter: ";"', 'delimiter: ","'))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))  # a coarse clock cannot hide it
    assert folder.mapping("lms-export").delimiter == ","


def test_a_missing_mapping_refuses_the_record(tmp_path: Path) -> None:
    with pytest.raises(RawRecordRefused) as refused:
        MappingFolder(tmp_path).mapping("absent")
    assert (
        refused.value.reason == f"no mapping 'absent' ({tmp_path / 'absent.yaml'} does not exist)"
    )
    assert refused.value.input_formats == ("custom",)


def test_an_invalid_mapping_refuses_the_record_saying_where(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("input: xml\nstatement: {}\n")
    with pytest.raises(RawRecordRefused) as refused:
        MappingFolder(tmp_path).mapping("broken")
    assert refused.value.reason == (
        "mapping 'broken' is invalid: input: Input should be 'json' or 'csv'"
    )
