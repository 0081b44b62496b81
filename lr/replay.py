"""``lr replay``: rebuild the Redis statement view from the statements topic, from scratch.

Records are decoded exactly as the worker decodes them (same validation, same ids for
statements produced without one), so the rebuilt view is the one the live path builds.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from learning_domain.indicators.windows import epoch_ms
from learning_domain.xapi.common import Timestamp
from lr.settings import Settings
from lr.statement_log import StatementLog
from serving.statements import ViewEntry, forget_view, view_entry, write_view

# Statements per store script call: short atomic scripts keep Redis responsive.
_WRITE_CHUNK = 200


@dataclass
class ReplayReport:
    records: int = 0
    statements: int = 0
    rejected: int = 0
    deleted_keys: int = 0
    tenants: set[str] = field(default_factory=set)


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
    oldest_ms = None if days is None else time.time_ns() // 1_000_000 - days * 86_400_000
    redis = Redis.from_url(settings.redis.url)
    try:
        async with StatementLog(settings) as log:
            report.deleted_keys = await forget_view(redis, tenant or "*")
            with progress_bar(f"replaying {settings.kafka.statements_topic}", quiet) as progress:
                task = progress.add_task("", total=log.total_records)
                pending: defaultdict[str, list[ViewEntry]] = defaultdict(list)
                async for record in log.records():
                    report.records += 1
                    progress.advance(task)
                    if tenant is not None and record.tenant != tenant:
                        continue
                    if record.documents is None:
                        report.rejected += 1  # in the dead-letter topic already, by the worker
                        continue
                    report.tenants.add(record.tenant)
                    kept = [d for d in record.documents if _within_retention(d, oldest_ms)]
                    report.statements += len(kept)
                    pending[record.tenant].extend(view_entry(d, orjson.dumps(d)) for d in kept)
                    if sum(map(len, pending.values())) >= _WRITE_CHUNK:
                        await _flush(redis, pending)
                await _flush(redis, pending)
    finally:
        await redis.aclose()
    return report


def _within_retention(document: dict[str, Any], oldest_ms: int | None) -> bool:
    """Whether the view keeps a statement (stored within the retention, if there is one)."""
    if oldest_ms is None:
        return True
    return epoch_ms(Timestamp.parse(document["stored"]).as_datetime) >= oldest_ms


async def _flush(redis: Redis, pending: defaultdict[str, list[ViewEntry]]) -> None:
    for record_tenant, entries in pending.items():
        await write_view(redis, record_tenant, entries)
    pending.clear()
