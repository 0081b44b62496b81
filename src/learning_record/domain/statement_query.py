"""The parameters of GET /statements (xAPI Communication 2.1.3), parsed and checked.

``parse_statement_request`` turns the query parameters into either a ``SingleStatement``
request (statementId / voidedStatementId) or a ``StatementQuery`` (filters, order, page),
raising ``QueryInvalid`` (a 400) naming the parameter. Parameter names are case-sensitive and
unknown ones are refused. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.errors import DomainError
from learning_record.domain.identity import ifi_of_json
from learning_record.domain.statement_index import (
    ACTIVITY,
    AGENT,
    REGISTRATION,
    RELATED_ACTIVITY,
    RELATED_AGENT,
    VERB,
    AgentFilter,
    term,
)
from learning_record.domain.xapi.common import IRI_PATTERN, UUID_PATTERN, Timestamp

# The most statements one page holds; "limit=0" means this many (2.1.3.s1, "limit").
MAX_PAGE_SIZE = 100
# With statementId or voidedStatementId, only these may be given too (2.1.3.s2.b2).
_SINGLE_COMPANIONS = frozenset({"statementId", "voidedStatementId", "attachments", "format"})
# Our own parameter, carried by the "more" IRL only.
CURSOR_PARAMETER = "cursor"

StatementFormat = Literal["ids", "exact", "canonical"]


class QueryInvalid(DomainError):
    """A query parameter is unknown, repeated, malformed or not allowed with another (400)."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"{parameter}: {reason}" if parameter else reason)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous page stopped: the last sequence it returned, and the highest sequence
    the query may ever return (fixed by the first page, so later arrivals never shift pages)."""

    after: int
    bound: int

    def encode(self) -> str:
        return f"{self.after}.{self.bound}"


@dataclass(frozen=True, slots=True)
class SingleStatement:
    statement_id: str
    voided: bool  # asked by voidedStatementId
    format: StatementFormat


@dataclass(frozen=True, slots=True)
class StatementQuery:
    terms: tuple[str, ...]  # every one must match (see statement_index.index_terms)
    since_ms: float | None  # exclusive, on "stored", in Unix milliseconds
    until_ms: float | None  # inclusive
    limit: int  # 1..MAX_PAGE_SIZE
    ascending: bool
    format: StatementFormat
    cursor: Cursor | None
    # Filters that name agents by IFI, not yet among ``terms``: the view names agents by
    # pseudonym, so a query is run only once ``keyed``.
    agents: tuple[AgentFilter, ...] = ()

    def keyed(self, learner_id: Pseudonymise) -> StatementQuery:
        """The query with its agent filters among its terms, by pseudonym (``learner_id``: the
        tenant's pseudonymiser)."""
        agents = (agent.term(learner_id) for agent in self.agents)
        return replace(self, terms=(*self.terms, *agents), agents=())


# --- Parameter types: query strings in, typed values out --------------------------------------


def _boolean(value: Any) -> Any:
    # 2.1.3.s1 note: Boolean parameters are `true` or `false`, as in JSON.
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("must be 'true' or 'false'")


def _non_negative_integer(value: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError("must be a non-negative integer")


def _timestamp_ms(value: Any) -> Any:
    return Timestamp.parse(value).as_datetime.timestamp() * 1000


def _agent(value: Any) -> Any:
    return ifi_of_json(value)


def _cursor(value: Any) -> Any:
    match = re.fullmatch(r"([0-9]{1,18})\.([0-9]{1,18})", value)
    if match is None:
        raise ValueError("is not a cursor this server gave out")
    return Cursor(int(match[1]), int(match[2]))


QueryBool = Annotated[bool, BeforeValidator(_boolean)]
QueryUuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
QueryIri = Annotated[str, StringConstraints(pattern=IRI_PATTERN)]
# What the parameters look like on the wire, for the OpenAPI document (they are parsed into
# other types: an IFI, Unix milliseconds, a Cursor).
AGENT_JSON = WithJsonSchema(
    {"type": "string", "contentMediaType": "application/json"},
)
_TIMESTAMP_TEXT = WithJsonSchema({"type": "string", "format": "date-time"})
# A timestamp parameter, in Unix milliseconds.
QueryTimestampMs = Annotated[float, BeforeValidator(_timestamp_ms), _TIMESTAMP_TEXT]
_CURSOR_TEXT = WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,18}\.[0-9]{1,18}$"})
_COUNT = WithJsonSchema({"type": "integer", "minimum": 0})


class StatementParameters(BaseModel):
    """GET /statements parameters by their xAPI names (2.1.3.s1 table), plus ``cursor``."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=False)

    statement_id: QueryUuid | None = Field(None, alias="statementId")
    voided_statement_id: QueryUuid | None = Field(None, alias="voidedStatementId")
    agent: Annotated[str, BeforeValidator(_agent), AGENT_JSON] | None = Field(
        None, description="An Agent or identified Group, as JSON."
    )  # parsed into its IFI
    verb: QueryIri | None = None
    activity: QueryIri | None = None
    registration: QueryUuid | None = None
    related_activities: QueryBool = False
    related_agents: QueryBool = False
    since: QueryTimestampMs | None = None
    until: QueryTimestampMs | None = None
    limit: Annotated[int, BeforeValidator(_non_negative_integer), _COUNT] = 0
    format: StatementFormat = "exact"
    attachments: QueryBool = False
    ascending: QueryBool = False
    cursor: Annotated[Cursor, BeforeValidator(_cursor), _CURSOR_TEXT] | None = Field(
        None, description="Where a page starts; only in the more IRL this server gave out."
    )

    @model_validator(mode="before")
    @classmethod
    def _single_statement_stands_alone(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("statementId" in data or "voidedStatementId" in data):
            if "statementId" in data and "voidedStatementId" in data:
                raise ValueError(
                    "statementId and voidedStatementId exclude each other (2.1.3.s2.b1)"
                )
            extra = sorted(set(data) - _SINGLE_COMPANIONS)
            if extra:
                raise ValueError(
                    f"{', '.join(extra)} cannot be combined with statementId or "
                    "voidedStatementId; only attachments and format can (2.1.3.s2.b2)"
                )
        return data

    def agents(self) -> tuple[AgentFilter, ...]:
        if self.agent is None:
            return ()
        return (AgentFilter(RELATED_AGENT if self.related_agents else AGENT, self.agent),)

    def terms(self) -> tuple[str, ...]:
        terms = []
        if self.verb is not None:
            terms.append(term(VERB, self.verb))
        if self.activity is not None:
            kind = RELATED_ACTIVITY if self.related_activities else ACTIVITY
            terms.append(term(kind, self.activity))
        if self.registration is not None:
            terms.append(term(REGISTRATION, self.registration))
        return tuple(terms)


def parse_statement_request(params: Mapping[str, str]) -> SingleStatement | StatementQuery:
    """What a GET /statements asks for; ``QueryInvalid`` naming the parameter when it is wrong.

    ``params`` may be a multi-valued mapping (aiohttp's ``request.query``): a repeated
    parameter is refused.
    """
    names = [name for name, _ in params.items()]  # a multi-valued mapping lists each value
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise QueryInvalid(repeated[0], "is given more than once")
    try:
        parsed = StatementParameters.model_validate(dict(params))
    except ValidationError as error:
        raise _query_invalid(error) from None
    return _request_of(parsed)


def _request_of(parsed: StatementParameters) -> SingleStatement | StatementQuery:
    if parsed.statement_id is not None:
        return SingleStatement(parsed.statement_id, voided=False, format=parsed.format)
    if parsed.voided_statement_id is not None:
        return SingleStatement(parsed.voided_statement_id, voided=True, format=parsed.format)
    limit = parsed.limit if 0 < parsed.limit <= MAX_PAGE_SIZE else MAX_PAGE_SIZE
    return StatementQuery(
        terms=parsed.terms(),
        agents=parsed.agents(),
        since_ms=parsed.since,
        until_ms=parsed.until,
        limit=limit,
        ascending=parsed.ascending,
        format=parsed.format,
        cursor=parsed.cursor,
    )


def _query_invalid(error: ValidationError) -> QueryInvalid:
    first = error.errors(include_url=False)[0]
    parameter = str(first["loc"][0]) if first["loc"] else ""
    kind = first["type"]
    if kind == "extra_forbidden":
        return QueryInvalid(
            parameter, "is not a parameter of this resource (names are case-sensitive)"
        )
    if kind == "string_pattern_mismatch":
        expected = "a UUID" if first["ctx"]["pattern"] == UUID_PATTERN else "an IRI"
        return QueryInvalid(parameter, f"must be {expected}")
    if kind == "literal_error":
        return QueryInvalid(parameter, f"must be one of {first['ctx']['expected']}")
    message = str(first["msg"]).removeprefix("Value error, ")
    return QueryInvalid(parameter, message)


def more_parameters(params: Mapping[str, str], cursor: Cursor) -> list[tuple[str, str]]:
    """The parameters of the "more" IRL: the query's own, with the cursor of the next page."""
    kept = [(name, value) for name, value in params.items() if name != CURSOR_PARAMETER]
    return [*kept, (CURSOR_PARAMETER, cursor.encode())]
