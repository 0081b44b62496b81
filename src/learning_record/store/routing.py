"""Store a tenant's statements in the view and route what they count: the worker's use of the
statement store, a batch at a time, without Kafka.

The view is written first, then marks the first origin that routes each statement
(``statements.route``, in short atomic scripts); the routing rule turns the marks into indicator
operations (``domain.indicators.routing``), and the identity of each learner they count is kept
beside their indicators. Everything here is idempotent for the same origins,
so a batch that failed halfway (Redis away) is simply run again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.indicators import Contribution, contribution_of
from learning_record.domain.indicators.operations import IndicatorOp
from learning_record.domain.indicators.routing import RouteRequest, route_request, routed_operation
from learning_record.domain.indicators.state import Origin
from learning_record.store.connection import RedisClient
from learning_record.store.indicators import write_agents
from learning_record.store.statement_entries import ViewEntry, view_entry
from learning_record.store.statements import route, write_view

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
    def of(
        cls,
        document: Mapping[str, Any],
        origin: Origin,
        *,
        defines: bool,
        learner_id: Pseudonymise,
    ) -> StoredStatement:
        """Raises for a document that cannot be stored (the caller dead-letters it);
        ``defines``: see ``statement_entries.view_entry``; ``learner_id``: the tenant's
        pseudonymiser."""
        contribution = contribution_of(document, learner_id)
        return cls(
            document,
            view_entry(document, orjson.dumps(document), defines=defines, learner_id=learner_id),
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
    redis: RedisClient,
    tenant: str,
    statements: Sequence[StoredStatement],
    learner_id: Pseudonymise,
) -> Routed:
    """Write ``statements`` into the view, then route them, in origin order; ``learner_id``:
    the tenant's pseudonymiser."""
    routed = Routed()
    held: set[str] = set()
    for start in range(0, len(statements), SCRIPT_CHUNK):
        entries = [statement.entry for statement in statements[start : start + SCRIPT_CHUNK]]
        held.update((await write_view(redis, tenant, entries)).conflicts)
    asking: list[tuple[StoredStatement, RouteRequest]] = []
    for statement in statements:
        if statement.entry.statement_id in held:
            routed.conflicts.append(statement)
        elif statement.request is not None:
            asking.append((statement, statement.request))
    for start in range(0, len(asking), SCRIPT_CHUNK):
        chunk = asking[start : start + SCRIPT_CHUNK]
        all_marks = await route(redis, tenant, [request for _, request in chunk])
        for (statement, request), marks in zip(chunk, all_marks, strict=True):
            try:
                operation = routed_operation(
                    tenant, statement.document, statement.contribution, request, marks, learner_id
                )
            except Exception as error:  # a bug: report it, keep the others going
                routed.failures.append((statement, f"cannot be routed: {type(error).__name__}"))
                continue
            if operation is not None:
                routed.operations.append(operation)
    # The learners' identities stay in Redis, beside their indicators: operations travel on
    # Kafka with learner ids only (docs/privacy.md).
    await write_agents(
        redis,
        {
            (tenant, operation.contribution.learner): operation.agent
            for operation in routed.operations
            if operation.agent is not None
        },
    )
    return routed
