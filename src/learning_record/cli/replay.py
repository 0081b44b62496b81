"""``lr replay``: rebuild the Redis statement view from the statements topic, from scratch,
then the documents from the documents topic (``cli.document_replay``), the indicator mirror
from the indicator tables' changelogs (``cli.indicator_replay``), and the erasures' states from
the erasures topic (``cli.erasure_replay``).

Records are decoded exactly as the worker decodes them (``sealed_records.decoded_record``: same
validation, same ids for statements produced without one), so the rebuilt view is the one the
live path builds, and each statement asks the view the routing question it asked live, from the
same origin: the decisions about what counts in the indicators (which the indicator tables
already hold) are restored with it, and a later duplicate or void is judged as it would have
been. Statements past the view's retention are written too, then purged as the worker's
retention purges them: what an erasure needs of them is kept (``store.retired_statements``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
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
from learning_record.platform.clock import now_ms
from learning_record.platform.settings import Settings
from learning_record.store.connection import RedisClient, open_redis
from learning_record.store.statement_entries import ViewEntry, view_entry
from learning_record.store.statements import forget_view, purge_view, route, write_view

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
    retention = _Retention(None if days is None else days * 86_400_000)
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
                    replayed = _replayed(record, learner_ids(record.tenant))
                    retention.saw(replayed)
                    report.statements += len(replayed)
                    pending[record.tenant].extend(replayed)
                    if sum(map(len, pending.values())) >= _WRITE_CHUNK:
                        await _flush(redis, pending, agents, learner_ids)
                        await retention.purge(redis, report.tenants, learner_ids, final=False)
                await _flush(redis, pending, agents, learner_ids)
                await retention.purge(redis, report.tenants, learner_ids, final=True)
            report.statements -= retention.purged  # in the view: past the retention, not
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
    document: dict[str, Any]
    contribution: Contribution | None


def _replayed(record: LoggedRecord, learner_id: Pseudonymise) -> list[_Replayed]:
    replayed = []
    for index, document in record.statements or ():
        serialised = orjson.dumps(document)
        entry = view_entry(document, serialised, defines=record.defines, learner_id=learner_id)
        contribution = contribution_of(document, learner_id)
        request = route_request(
            document, contribution, origin_of(record.partition, record.offset, index)
        )
        replayed.append(_Replayed(entry, request, document, contribution))
    return replayed


async def _flush(
    redis: RedisClient,
    pending: defaultdict[str, list[_Replayed]],
    agents: dict[tuple[str, str], Any],
    learner_ids: Callable[[str], Pseudonymise],
) -> None:
    """Write and route the pending statements as the worker does."""
    for record_tenant, replayed in pending.items():
        outcome = await write_view(redis, record_tenant, [r.entry for r in replayed])
        conflicts = set(outcome.conflicts)  # parked live, as here: they ask nothing
        asking = [
            (r, r.request)
            for r in replayed
            if r.request is not None and r.entry.statement_id not in conflicts
        ]
        if asking:
            requests = [request for _, request in asking]
            marks = await route(redis, record_tenant, requests)  # the marks, not the operations
            _remember_learners(agents, record_tenant, asking, marks, learner_ids(record_tenant))
    pending.clear()


@dataclass
class _Retention:
    """The view's retention as the replay plays it: as the log's time moves on (its records
    come in stored order), the statements older than the retention behind the latest are
    purged, as the worker's timer purged them then, keeping what an erasure needs of each; at
    the end, those older than the retention behind now. A void close to its target's purge
    may be judged otherwise than it was live (docs/privacy.md)."""

    span_ms: int | None
    latest_ms: int = 0
    purged: int = 0

    def saw(self, replayed: Sequence[_Replayed]) -> None:
        self.latest_ms = max([self.latest_ms, *(r.entry.stored_ms for r in replayed)])

    async def purge(
        self,
        redis: RedisClient,
        tenants: Iterable[str],
        learner_ids: Callable[[str], Pseudonymise],
        *,
        final: bool,
    ) -> None:
        if self.span_ms is None:
            return
        cutoff = (now_ms() if final else self.latest_ms) - self.span_ms
        for tenant in sorted(tenants):
            purge = partial(purge_view, redis, tenant, cutoff, learner_ids(tenant))
            while batch := await purge():
                self.purged += batch


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
