"""Why an input could not be processed: typed errors the API maps to 400 once, and the raw-stream
normaliser writes into its dead letters."""

from dataclasses import dataclass

from learning_record.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one input format did not accept the input."""

    input_format: str
    reason: str


class ProcessingError(DomainError):
    """Base of every error ``process`` raises on purpose."""


class UndetectableInput(ProcessingError):
    """No input format accepted the input; ``rejections`` says why, one reason per format."""

    def __init__(self, rejections: tuple[Rejection, ...]) -> None:
        self.rejections = rejections
        reasons = "; ".join(f"{r.input_format}: {r.reason}" for r in rejections)
        super().__init__(f"no input format accepted the input ({reasons})")

    def __reduce__(self) -> tuple[type["UndetectableInput"], tuple[tuple[Rejection, ...]]]:
        # Picklable although __init__ takes an argument (the stream moves errors across processes).
        return (type(self), (self.rejections,))


class ConversionFailed(ProcessingError):
    """The input is in ``input_format`` but could not become valid xAPI.

    ``path`` is the JSON path of the offending part, in the input (``data[2].eventTime``) or in
    the statement produced (``[0].object.id``), as ``where`` says; ``""`` for the whole input.
    """

    def __init__(self, input_format: str, path: str, reason: str) -> None:
        self.input_format = input_format
        self.path = path
        self.reason = reason
        super().__init__(
            f"{input_format}: {path}: {reason}" if path else f"{input_format}: {reason}"
        )

    def __reduce__(self) -> tuple[type["ConversionFailed"], tuple[str, str, str]]:
        return (type(self), (self.input_format, self.path, self.reason))


class InputTooLarge(ProcessingError):
    """The input exceeds one of the documented bounds on the work of one item (see ``limits``)."""


class MappingInvalid(ProcessingError):
    """A custom mapping file is not a valid declarative mapping; ``path`` locates the problem."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)

    def __reduce__(self) -> tuple[type["MappingInvalid"], tuple[str, str]]:
        return (type(self), (self.path, self.reason))
