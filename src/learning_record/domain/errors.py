"""Domain errors: a small typed hierarchy, each subclass mapped once to an HTTP status."""

from pydantic import ValidationError


def first_validation_message(error: ValidationError) -> str:
    """``<path>: <message>`` of the first error pydantic found."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""


class StatementInvalid(DomainError):
    """A statement (or a batch of them) breaks the xAPI 1.0.3 data rules.

    ``path`` is the dotted JSON path of the offending property (``actor.mbox``,
    ``[2].object.id``, ``context.extensions["not an iri"]``), or ``""`` for the document root.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)

    def __reduce__(self) -> tuple[type["StatementInvalid"], tuple[str, str]]:
        # Keep the error picklable although __init__ takes two arguments.
        return (type(self), (self.path, self.reason))


class UnidentifiedActor(DomainError):
    """An identity was asked of an anonymous Group, which has no Inverse Functional Identifier.

    xAPI 2.4.2.2.s3.b1: each anonymous Group is distinct even with identical members, so no
    stable identity can be derived from its members.
    """


class DependencyUnavailable(DomainError):
    """Kafka or Redis did not answer within its deadline: the caller should retry later (503)."""

    def __init__(self, dependency: str, reason: str) -> None:
        self.dependency = dependency
        super().__init__(f"{dependency} is unavailable: {reason}")


class InvalidTenant(DomainError, ValueError):
    """A tenant name that is not a slug (``domain.tenants``). A ValueError too, so that pydantic
    validators report it as a validation error of the field."""
