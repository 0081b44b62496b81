"""Convert learning records of other formats to xAPI, pseudonymise them, and check them against
the DASES profile templates, with no I/O (docs/process.md).

``process`` is the one entry point; the HTTP endpoint and the raw-stream normaliser call it.
"""

from learning_record.domain.process.errors import (
    ConversionFailed,
    InputTooLarge,
    MappingInvalid,
    ProcessingError,
    Rejection,
    UndetectableInput,
)
from learning_record.domain.process.formats import INPUT_FORMATS, InputFormat
from learning_record.domain.process.mapping import RecordMapping, load_mapping
from learning_record.domain.process.pipeline import ProcessMeta, ProcessResult, process
from learning_record.domain.process.privacy import (
    ANONYMOUS_HOME_PAGE,
    PSEUDONYM_HOME_PAGE,
    PrivacyMode,
)
from learning_record.domain.process.profiles import Recommendation

__all__ = [
    "ANONYMOUS_HOME_PAGE",
    "INPUT_FORMATS",
    "PSEUDONYM_HOME_PAGE",
    "ConversionFailed",
    "InputFormat",
    "InputTooLarge",
    "MappingInvalid",
    "PrivacyMode",
    "ProcessMeta",
    "ProcessResult",
    "ProcessingError",
    "Recommendation",
    "RecordMapping",
    "Rejection",
    "UndetectableInput",
    "load_mapping",
    "process",
]
