"""The routing rule: which indicator operation a stored statement produces, from the marks the
statement view holds.

A statement may be routed several times: its record redelivered (the same origin), or the same
statement under another record (a duplicate, another origin). The view marks, atomically, the
first origin to route each statement (``store/scripts/route_statements.lua``, which decides
nothing else):

- a statement's claim takes the first origin that routes it as ``applied_by``, or
  ``VOIDED_FIRST`` when a void of it was already stored by then;
- an applied target's claim takes the first void that routes as ``retracted_by``.

From those marks, read back after marking, this rule decides (xAPI Data 2.3.2: a voided
statement does not count):

- a statement counts when its own origin holds ``applied_by``: a redelivery gets the same
  answer, a duplicate none, a statement voided before it was routed never counts;
- a void retracts its target when an origin applied the target and the void's own origin holds
  ``retracted_by``; the retraction names the application it undoes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from learning_record.domain.data_keys import Pseudonymise
from learning_record.domain.indicators.contributions import Contribution, voided_target
from learning_record.domain.indicators.operations import IndicatorOp, application, retraction
from learning_record.domain.indicators.state import Origin

# ``applied_by`` of a statement voided before it was first routed.
VOIDED_FIRST: Literal["void"] = "void"


@dataclass(frozen=True, slots=True)
class RouteRequest:
    """What a stored statement asks the view: whether it counts (``voids`` False:
    ``statement_id`` is its own id), or whether its void retracts its target (``voids`` True:
    ``statement_id`` is the target's)."""

    statement_id: str
    origin: Origin
    voids: bool


def route_request(
    document: Mapping[str, Any], contribution: Contribution | None, origin: Origin
) -> RouteRequest | None:
    """The question a stored statement asks, or None when it counts for nothing (an anonymous
    Group); ``contribution`` is ``contribution_of(document, …)``."""
    target = voided_target(document)
    if target is not None:
        return RouteRequest(target, origin, voids=True)
    if contribution is not None:
        return RouteRequest(str(document["id"]), origin, voids=False)
    return None


@dataclass(frozen=True, slots=True)
class RouteMarks:
    """The marks of the statement a request names, as the view holds them once it marked them.

    ``applied_by`` is None only for a void's target that was never routed; ``retracted_by`` and
    ``target_document`` (the target as stored, None when it is not) are read for a void only.
    """

    applied_by: Origin | Literal["void"] | None
    retracted_by: Origin | None = None
    target_document: bytes | None = None


def routed_operation(
    tenant: str,
    document: Mapping[str, Any],
    contribution: Contribution | None,
    request: RouteRequest,
    marks: RouteMarks,
    learner_id: Pseudonymise,
) -> IndicatorOp | None:
    """The operation a stored statement produces, or None. ``document``, ``contribution`` and
    ``request`` are the statement's own (``route_request``); ``marks`` are those of the
    statement the request names; ``learner_id`` is the tenant's pseudonymiser, which a void
    needs for its target's contribution."""
    origin = request.origin
    if request.voids:
        applied_at = marks.applied_by
        if (
            not isinstance(applied_at, tuple)
            or marks.retracted_by != origin
            or marks.target_document is None
        ):
            return None
        target = orjson.loads(marks.target_document)
        return retraction(tenant, target, applied_at, origin, learner_id)
    if marks.applied_by != origin or contribution is None:
        return None
    return application(tenant, document, contribution, origin)
