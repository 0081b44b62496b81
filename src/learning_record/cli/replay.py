"""``lr replay``: rebuild the Redis statement view from the statements topic, from scratch,
then the documents from the documents topic (``cli.document_replay``), the indicator mirror
from the indicator tables' changelogs (``cli.indicator_replay``), and the erasures' states from
the erasures topic (``cli.erasure_replay``).

Records are decoded exactly as the worker decodes them (``sealed_records.decoded_record``: same
validation, same ids for statements produced without one), so the rebuilt view is the one the
live path builds, and each statement asks the view the routing question it asked live, from the
same origin: the decisions about what counts in the indicators (which the indicator tables
already hold) are restored with it, and a later duplicate or void is judged as it would have
been.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from learning_record.cli.document_replay import DocumentReplayReport, replay_documents
from learning_record.cli.erasure_replay import ErasureReplayReport, replay_erasures
from learning_record.cli.indicator_replay import IndicatorReplayReport, replay_indicators
from learning_record.cli.statement_log import LoggedRecord, StatementLog
from learning_record.domain.data_keys import Pseudonymise, pseudonymiser
from learning_record.domain.indicators import contribution_of
from learning_record.domain.indicators.contributions import Contribution
from learning_record.domain.indicators.routing import (
    RouteMarks,
    RouteRequest,
    route_request,
    routed_operation,
)
from learning_record.domain.indicators.state import origin_of
from learning_record.domain.indicators.windows import epoch_ms
from learning_record.domain.xapi.common import Timestamp
from learning_record.platform.clock import now_ms
from learning_record.platform.settings import Settings
from learning_record.store import known_objects
from learning_record.store.connection import RedisClient, open_redis
from learning_record.store.statement_entries import ViewEntry, view_entry
from learning_record.store.statements import forget_view, route, write_view

# Statements per store script call: short atomic scripts keep Redis responsive.
_WRITE_CHUNK = 200


@dataclass
class ReplayReport:
    records: int = 0
    statements: int = 0
    rejected: int = 0
    deleted_keys: int = 0
    tenants: set[str] = field(default_factory=set)
    documents: DocumentReplayReport = field(default_factory=DocumentReplayReport)
    erasures: ErasureReplayReport = field(default_factory=ErasureReplayReport)
    indicators: IndicatorReplayReport = field(default_factory=IndicatorReplayReport)


def progress_bar(label: str, quiet: bool) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=quiet,
    )


async def replay(
    settings: Settings, tenant: str | None = None, quiet: bool = False
) -> ReplayReport:
    report = ReplayReport()
    days = settings.redis.statement_retention_days
    oldest_ms = None if days is None else now_ms() - days * 86_400_000
    learner_ids = partial(pseudonymiser, settings.process.pseudonym_key.get_secret_value())
    redis = open_redis(settings.redis)
    try:
        async with StatementLog(settings) as log:
            report.deleted_keys = await forget_view(redis, tenant or "*")
            with progress_bar(f"replaying {settings.kafka.statements_topic}", quiet) as progress:
                task = progress.add_task("", total=log.total_records)
                pending: defaultdict[str, list[_Replayed]] = defaultdict(list)
                agents: dict[tuple[str, str], Any] = {}
                async for record in log.records():
                    report.records += 1
                    progress.advance(task)
                    if tenant is not None and record.tenant != tenant:
                        continue
                    if record.documents is None:
                        report.rejected += 1  # in the dead-letter topic already, by the worker
                        continue
                    report.tenants.add(record.tenant)
                    kept = _replayed(record, oldest_ms, learner_ids(record.tenant))
                    report.statements += sum(r.in_view for r in kept)
                    pending[record.tenant].extend(kept)
                    if sum(map(len, pending.values())) >= _WRITE_CHUNK:
                        await _flush(redis, pending, agents, learner_ids)
                await _flush(redis, pending, agents, learner_ids)
        report.documents = await replay_documents(settings, redis, tenant)
        report.indicators = await replay_indicators(settings, redis, agents, tenant)
        report.erasures = await replay_erasures(settings, redis, tenant)
    finally:
        await redis.aclose()
    return report


@dataclass(frozen=True, slots=True)
class _Replayed:
    entry: ViewEntry
    request: RouteRequest | None
    in_view: bool  # False: past the view's retention, only its Agents and Activities remain
    document: dict[str, Any]
    contribution: Contribution | None


def _replayed(
    record: LoggedRecord, oldest_ms: int | None, learner_id: Pseudonymise
) -> list[_Replayed]:
    replayed = []
    for index, document in record.statements or ():
        serialised = orjson.dumps(document)
        entry = view_entry(document, serialised, defines=record.defines, learner_id=learner_id)
        contribution = contribution_of(document, learner_id)
        if _within_retention(document, oldest_ms):
            origin = origin_of(record.partition, record.offset, index)
            request = route_request(document, contribution, origin)
            replayed.append(_Replayed(entry, request, True, document, contribution))
        else:  # the live view forgot it, but remembers what it told of Agents and Activities
            replayed.append(_Replayed(entry, None, False, document, contribution))
    return replayed


def _within_retention(document: dict[str, Any], oldest_ms: int | None) -> bool:
    """Whether the view keeps a statement (stored within the retention, if there is one)."""
    if oldest_ms is None:
        return True
    return epoch_ms(Timestamp.parse(document["stored"]).as_datetime) >= oldest_ms


async def _flush(
    redis: RedisClient,
    pending: defaultdict[str, list[_Replayed]],
    agents: dict[tuple[str, str], Any],
    learner_ids: Callable[[str], Pseudonymise],
) -> None:
    for record_tenant, replayed in pending.items():
        await known_objects.remember(
            redis, record_tenant, [r.entry for r in replayed if not r.in_view]
        )
        outcome = await write_view(redis, record_tenant, [r.entry for r in replayed if r.in_view])
        conflicts = set(outcome.conflicts)  # parked live, as here: they ask nothing
        asking = [
            (r, r.request)
            for r in replayed
            if r.request is not None and r.entry.statement_id not in conflicts
        ]
        if asking:
            requests = [request for _, request in asking]
            marks = await route(redis, record_tenant, requests)  # the marks, not the operations
            learner_id = learner_ids(record_tenant)
            _remember_learners(agents, record_tenant, asking, marks, learner_id)
    pending.clear()


def _remember_learners(
    agents: dict[tuple[str, str], Any],
    tenant: str,
    asking: list[tuple[_Replayed, RouteRequest]],
    marks: list[RouteMarks],
    learner_id: Pseudonymise,
) -> None:
    """Each learner's identifying properties as the last operation that counted them carried
    them, as the live path mirrors them (``application``); the indicator replay writes them."""
    for (replayed, request), marked in zip(asking, marks, strict=True):
        operation = routed_operation(
            tenant, replayed.document, replayed.contribution, request, marked, learner_id
        )
        if operation is not None and operation.agent is not None:
            agents[(tenant, operation.contribution.learner)] = operation.agent
