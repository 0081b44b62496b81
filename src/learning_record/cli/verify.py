"""``lr verify``: compare the live indicators of every learner, activity and learner-activity
pair with the batch reference computed from a replay of the statements topic, and check that
every statement of the topic is in the statement view (those view retention purged aside).

Run it when the worker has caught up (``lr lag`` near zero): statements still in flight show up
as differences.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from learning_record.cli.replay import progress_bar
from learning_record.cli.statement_log import StatementLog
from learning_record.domain.data_keys import Pseudonymise, pseudonymiser
from learning_record.domain.indicators import Entity, Window, read_indicators
from learning_record.domain.indicators.reference import ReferenceIndicators, compute_indicators
from learning_record.domain.indicators.windows import epoch_ms
from learning_record.platform.settings import Settings
from learning_record.store import indicators as view
from learning_record.store.connection import RedisClient, open_redis
from learning_record.store.statements import missing_from_view


@dataclass
class VerifyReport:
    compared: int = 0  # indicator sets
    statements: int = 0  # statements looked up in the view
    differences: list[str] = field(default_factory=list)


async def verify(
    settings: Settings, tenant: str | None = None, quiet: bool = False
) -> VerifyReport:
    documents: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    async with StatementLog(settings) as log:
        with progress_bar(f"reading {settings.kafka.statements_topic}", quiet) as progress:
            task = progress.add_task("", total=log.total_records)
            async for record in log.records():
                progress.advance(task)
                if record.documents is not None and tenant in (None, record.tenant):
                    documents[record.tenant].extend(record.documents)
    as_of = datetime.now(UTC)
    report = VerifyReport()
    pseudonym_key = settings.process.pseudonym_key.get_secret_value()
    redis = open_redis(settings.redis)
    try:
        for record_tenant, tenant_documents in documents.items():
            # Statements missing from the view first: they explain indicators that differ.
            retention = settings.redis.statement_retention_days
            kept_since = as_of - timedelta(days=retention) if retention else None
            await _check_view(redis, record_tenant, tenant_documents, kept_since, report)
            for window in Window:
                reference = compute_indicators(tenant_documents, window.value, as_of)
                learner_id = pseudonymiser(pseudonym_key, record_tenant)
                await _compare(redis, record_tenant, window, as_of, reference, learner_id, report)
    finally:
        await redis.aclose()
    return report


async def _compare(
    redis: RedisClient,
    tenant: str,
    window: Window,
    as_of: datetime,
    reference: ReferenceIndicators,
    learner_id: Pseudonymise,
    report: VerifyReport,
) -> None:
    entities: list[tuple[Entity, str, str, dict[str, Any]]] = [
        (Entity.LEARNER, learner_id(ifi), ifi, expected)
        for ifi, expected in reference.learners.items()
    ]
    entities += [
        (Entity.ACTIVITY, view.activity_ref(activity), activity, expected)
        for activity, expected in reference.activities.items()
    ]
    entities += [
        (
            Entity.LEARNER_ACTIVITY,
            view.pair_ref(learner_id(ifi), activity),
            f"{ifi} {activity}",
            expected,
        )
        for (ifi, activity), expected in reference.learner_activities.items()
    ]
    fields = view.window_fields(window, epoch_ms(as_of))
    answers = await view.read_values(redis, [(tenant, e, ref) for e, ref, _, _ in entities], fields)
    for (entity, _, name, expected), stored in zip(entities, answers, strict=True):
        report.compared += 1
        live = read_indicators(entity, stored.values, stored.members)
        if live != expected:
            report.differences.append(
                f"{tenant} {entity.value} {name} window={window.value}: live {live} != {expected}"
            )


async def _check_view(
    redis: RedisClient,
    tenant: str,
    documents: list[dict[str, Any]],
    kept_since: datetime | None,
    report: VerifyReport,
) -> None:
    """Every statement stored since ``kept_since`` (None: ever) is in the view."""
    ids = [
        d["id"]
        for d in documents
        if kept_since is None or datetime.fromisoformat(d["stored"]) >= kept_since
    ]
    report.statements += len(ids)
    for statement_id in await missing_from_view(redis, tenant, ids):
        report.differences.append(f"{tenant} statement {statement_id}: in the topic, not the view")
