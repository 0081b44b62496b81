"""Store a tenant's statements in the view and route what they count: the worker's use of the
statement store, a batch at a time, without Kafka.

The view is written first, then asked (``statements.route``) whether each statement counts and
whether each void retracts its target, in short atomic scripts; the answers become indicator
operations (``domain.indicators.operations``). Everything here is idempotent for the
same origins, so a batch that failed halfway (Redis away) is simply run again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis

from learning_record.domain.indicators import Contribution, contribution_of
from learning_record.domain.indicators.operations import (
    IndicatorOp,
    RouteRequest,
    application,
    retraction,
    route_request,
)
from learning_record.domain.indicators.state import Origin
from learning_record.store.statement_entries import ViewEntry, view_entry
from learning_record.store.statements import Retraction, route, write_view

# Statements per script call: keeps each atomic script short, so Redis stays responsive for
# every tenant.
SCRIPT_CHUNK = 200


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """One statement, ready to store and route: everything computed before touching Redis."""

    document: Mapping[str, Any]
    entry: ViewEntry
    origin: Origin
    contribution: Contribution | None  # None: it counts for nothing (a void, an anonymous Group)
    request: RouteRequest | None  # what it asks the view

    @classmethod
    def of(cls, document: Mapping[str, Any], origin: Origin, *, defines: bool) -> StoredStatement:
        """Raises for a document that cannot be stored (the caller dead-letters it);
        ``defines``: see ``statement_entries.view_entry``."""
        contribution = contribution_of(document)
        return cls(
            document,
            view_entry(document, orjson.dumps(document), defines=defines),
            origin,
            contribution,
            route_request(document, contribution, origin),
        )


@dataclass
class Routed:
    operations: list[IndicatorOp] = field(default_factory=list)
    conflicts: list[StoredStatement] = field(default_factory=list)  # id held by other content
    failures: list[tuple[StoredStatement, str]] = field(default_factory=list)


async def store_and_route(
    redis: Redis, tenant: str, statements: Sequence[StoredStatement]
) -> Routed:
    """Write ``statements`` into the view, then route them, in origin order."""
    routed = Routed()
    held: set[str] = set()
    for start in range(0, len(statements), SCRIPT_CHUNK):
        entries = [statement.entry for statement in statements[start : start + SCRIPT_CHUNK]]
        held.update((await write_view(redis, tenant, entries)).conflicts)
    asking = []
    for statement in statements:
        if statement.entry.statement_id in held:
            routed.conflicts.append(statement)
        elif statement.request is not None:
            asking.append(statement)
    for start in range(0, len(asking), SCRIPT_CHUNK):
        chunk = asking[start : start + SCRIPT_CHUNK]
        requests = [statement.request for statement in chunk if statement.request is not None]
        decisions = await route(redis, tenant, requests)
        for statement, decision in zip(chunk, decisions, strict=True):
            try:
                operation = _operation(tenant, statement, decision)
            except Exception as error:  # a bug: report it, keep the others going
                routed.failures.append((statement, f"cannot be routed: {type(error).__name__}"))
                continue
            if operation is not None:
                routed.operations.append(operation)
    return routed


def _operation(
    tenant: str, statement: StoredStatement, decision: bool | Retraction | None
) -> IndicatorOp | None:
    if isinstance(decision, Retraction):
        target = orjson.loads(decision.target_document)
        return retraction(tenant, target, decision.applied_at, statement.origin)
    if decision is True and statement.contribution is not None:
        return application(tenant, statement.document, statement.contribution, statement.origin)
    return None
