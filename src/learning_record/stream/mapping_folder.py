"""The custom-record mappings of the raw stream: one YAML file per name in a folder
(``LR_PROCESS__MAPPINGS_DIR``), read again whenever the file changes, so that a mapping fixed
by an operator applies to the next record without a restart (then ``lr dlq retry``)."""

from __future__ import annotations

from pathlib import Path

from learning_record.domain.process import MappingInvalid, RecordMapping, load_mapping
from learning_record.domain.process.mapping import NAME as CUSTOM
from learning_record.domain.process.raw_record import RawRecordRefused


class MappingFolder:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        # name -> (the file's mtime and size when read, the mapping read)
        self._loaded: dict[str, tuple[tuple[int, int], RecordMapping]] = {}

    def mapping(self, name: str) -> RecordMapping:
        """The mapping ``<name>.yaml``; ``RawRecordRefused`` when it is missing or invalid.

        ``name`` is a checked mapping name (``raw_record.MAPPING_NAME``), never a path.
        """
        path = self._folder / f"{name}.yaml"
        try:
            stat = path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            loaded = self._loaded.get(name)
            if loaded is not None and loaded[0] == version:
                return loaded[1]
            mapping = load_mapping(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RawRecordRefused(
                f"no mapping {name!r} ({path} does not exist)", (CUSTOM,)
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise RawRecordRefused(f"mapping {name!r} cannot be read: {error}", (CUSTOM,)) from None
        except MappingInvalid as error:
            raise RawRecordRefused(f"mapping {name!r} is invalid: {error}", (CUSTOM,)) from None
        self._loaded[name] = (version, mapping)
        return mapping
