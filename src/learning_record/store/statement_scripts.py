"""The statement store's scripts (``store/scripts/*.lua``), one description each: what a call
takes, and its KEYS and ARGV in the order the script names them. Every key comes from
``store.keys`` and carries the tenant's hash tag, so each call runs in the tenant's slot.

Stored marks: whoever hands out a sequence also gives it a mark, max(stored, the last mark), so
marks never decrease along sequences and turn since/until into sequence bounds with one lookup.
The API hands out stored times that never decrease, so for its statements mark = stored; a
statement produced straight to Kafka keeps its record's timestamp as stored, which may be older.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import orjson
from redis.typing import EncodableT

from learning_record.domain.indicators.routing import RouteRequest
from learning_record.domain.indicators.state import Origin
from learning_record.domain.statement_query import Cursor, StatementQuery
from learning_record.store import keys
from learning_record.store.lua import LuaScript
from learning_record.store.statement_entries import Claim, ViewEntry

# The claim fields and helpers every statement script shares.
_SHARED = ("statement_claim",)

# How much later than its stored time a statement produced straight to Kafka may reach the
# store and still be found by "until" (see stored marks above). The API's own statements need
# none: their stored times follow their sequences.
LATE_ALLOWANCE_MS = 5_000


def _flag(value: bool) -> str:
    return "1" if value else "0"


@dataclass(frozen=True, slots=True)
class ReserveStatements:
    """Reserve a batch's ids for their content, all or nothing."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("reserve_statements", _SHARED)
    tenant: str
    claims: Sequence[Claim]
    now_ms: int

    def keys(self) -> list[str]:
        return [
            keys.statement_sequence(self.tenant),
            keys.statement_last_stored(self.tenant),
            *(keys.statement_claim(self.tenant, c.statement_id) for c in self.claims),
            *(keys.statement_claim(self.tenant, c.voids) for c in self.claims if c.voids),
        ]

    def args(self) -> list[EncodableT]:
        args: list[EncodableT] = [self.now_ms]
        voided_claim = 2 + len(self.claims) + 1  # Lua's 1-based KEYS index of the first one
        for claim in self.claims:
            args += [claim.digest, _flag(bool(claim.voids)), voided_claim if claim.voids else 0]
            voided_claim += 1 if claim.voids else 0
        return args


@dataclass(frozen=True, slots=True)
class WriteView:
    """Write statements into the view; ``found_keys`` are the keys found in the data that an
    earlier answer asked to declare (see write_view.lua)."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("write_view", _SHARED)
    tenant: str
    entries: Sequence[ViewEntry]
    found_keys: tuple[str, ...] = ()

    def keys(self) -> list[str]:
        tenant = self.tenant
        declared = [
            keys.statement_sequence(tenant),
            keys.statement_last_stored(tenant),
            keys.statement_order(tenant),
            keys.statement_stored_times(tenant),
            keys.statement_stored_marks(tenant),
            keys.statement_expiry(tenant),
        ]
        for entry in self.entries:
            declared += [
                keys.statement(tenant, entry.statement_id),
                *_links(tenant, entry.statement_id),
            ]
            if entry.refers_to is not None:
                declared += _links(tenant, entry.refers_to)
            declared += [keys.statement_index(tenant, term) for term in entry.terms]
        return declared + list(self.found_keys)

    def args(self) -> list[EncodableT]:
        args: list[EncodableT] = []
        for entry in self.entries:
            args += [
                entry.statement_id,
                entry.document,
                entry.digest,
                entry.stored_ms,
                _flag(entry.voids is not None),
                len(entry.terms),
                entry.refers_to or "",
            ]
        return args


def _links(tenant: str, statement_id: str) -> list[str]:
    """The keys linking a statement to the others: its claim, voided-by and targeted-by."""
    return [
        keys.statement_claim(tenant, statement_id),
        keys.voided_by(tenant, statement_id),
        keys.targeted_by(tenant, statement_id),
    ]


@dataclass(frozen=True, slots=True)
class DueStatement:
    """A statement retention is due to forget, with its claim's index list as read (the JSON
    text, "" when absent): the script purges it only if the claim still holds that list. With
    ``retired_key`` and ``kept``, retention keeps that JSON of it in its owner's retired hash
    (``retired_statements``)."""

    statement_id: str
    indexes_read: str
    retired_key: str = ""
    kept: str = ""

    @property
    def index_keys(self) -> list[str]:
        return [str(key) for key in orjson.loads(self.indexes_read or "[]")]


@dataclass(frozen=True, slots=True)
class PurgeView:
    """Forget statements stored before ``cutoff_ms`` (view retention); with ``keep_claims`` (an
    erasure), their claims stay, without their index lists."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("purge_view", _SHARED)
    tenant: str
    cutoff_ms: int
    due: Sequence[DueStatement]
    keep_claims: bool = False

    def keys(self) -> list[str]:
        tenant = self.tenant
        declared = [
            keys.statement_order(tenant),
            keys.statement_stored_times(tenant),
            keys.statement_stored_marks(tenant),
            keys.statement_expiry(tenant),
        ]
        for statement in self.due:
            declared += [
                keys.statement(tenant, statement.statement_id),
                *_links(tenant, statement.statement_id),
                statement.retired_key or keys.retired(tenant, _NO_OWNER),
                *statement.index_keys,
            ]
        return declared

    def args(self) -> list[EncodableT]:
        args: list[EncodableT] = [self.cutoff_ms, "1" if self.keep_claims else "0"]
        for statement in self.due:
            index_count = len(statement.index_keys)
            args += [statement.statement_id, statement.indexes_read, index_count, statement.kept]
        return args


# The retired hash declared for a statement retention keeps nothing of: never written.
_NO_OWNER = "-"


# Candidates one query_page call examines at most: a few milliseconds of Redis time.
CANDIDATES_PER_CALL = 5000


@dataclass(frozen=True, slots=True)
class QueryPage:
    """Up to ``limit + 1`` matches of a query after ``cursor``, examining at most ``budget``
    candidates."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("query_page", _SHARED)
    tenant: str
    query: StatementQuery
    cursor: Cursor | None
    budget: int = CANDIDATES_PER_CALL

    def keys(self) -> list[str]:
        tenant = self.tenant
        if self.query.agents:  # dropped, they would widen the page to every statement
            raise ValueError("key the query's agent filters first (StatementQuery.keyed)")
        indexes = [keys.statement_index(tenant, term) for term in self.query.terms]
        return [
            keys.statement_sequence(tenant),
            keys.statement_stored_times(tenant),
            keys.statement_stored_marks(tenant),
            *(indexes or [keys.statement_order(tenant)]),
        ]

    def args(self) -> list[EncodableT]:
        query, cursor = self.query, self.cursor
        until = query.until_ms
        return [
            _flag(query.ascending),
            "" if cursor is None else cursor.after,
            "" if cursor is None else cursor.bound,
            query.limit,
            _milliseconds(query.since_ms),
            _milliseconds(until),
            _milliseconds(None if until is None else until + LATE_ALLOWANCE_MS),
            self.budget,
        ]


def _milliseconds(value: float | None) -> str:
    return "" if value is None else repr(value)


@dataclass(frozen=True, slots=True)
class RouteStatements:
    """Whether each statement counts in the indicators, and whether each void retracts."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("route_statements", _SHARED)
    tenant: str
    requests: Sequence[RouteRequest]

    def keys(self) -> list[str]:
        declared: list[str] = []
        for request in self.requests:
            claim = keys.statement_claim(self.tenant, request.statement_id)
            if request.voids:
                declared += [claim, keys.statement(self.tenant, request.statement_id)]
            else:
                declared += [claim, keys.voided_by(self.tenant, request.statement_id)]
        return declared

    def args(self) -> list[EncodableT]:
        args: list[EncodableT] = []
        for request in self.requests:
            args += ["v" if request.voids else "a", origin_text(request.origin)]
        return args


def origin_text(origin: Origin) -> str:
    """An origin as the claim stores it: ``<input partition>:<position>``."""
    return f"{origin[0]}:{origin[1]}"


def parsed_origin(text: bytes) -> Origin:
    partition, _, position = text.decode().partition(":")
    return int(partition), int(position)


@dataclass(frozen=True, slots=True)
class ReplaceDocument:
    """A statement's document replaced, out of the index keys it leaves (erasure)."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("replace_document", _SHARED)
    tenant: str
    statement_id: str
    document: bytes
    indexes_read: str  # its claim's index list, JSON, "" when absent
    leaving: Sequence[str]  # index keys

    def keys(self) -> list[str]:
        return [
            keys.statement(self.tenant, self.statement_id),
            keys.statement_claim(self.tenant, self.statement_id),
            *self.leaving,
        ]

    def args(self) -> list[EncodableT]:
        listed = orjson.loads(self.indexes_read or "[]")
        kept = [key for key in listed if key not in set(self.leaving)]
        return [self.statement_id, self.document, self.indexes_read, orjson.dumps(kept)]
