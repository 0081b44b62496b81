"""Forget statements older than the view's retention (``LR_REDIS__STATEMENT_RETENTION_DAYS``).

The statements topic keeps them: the view is a serving copy. What an erasure of their owner
needs is kept (store.retired_statements). Every worker may run this; each purge is one atomic
script, so two workers at it at once purge each statement once.
"""

from __future__ import annotations

from functools import partial

from learning_record.platform import logs
from learning_record.platform.clock import now_ms
from learning_record.store.statements import purge_view, tenants_with_statements
from learning_record.stream.app import app, settings
from learning_record.stream.learner_keys import learner_keys
from learning_record.stream.redis_client import redis, with_retries

log = logs.get_logger(__name__)

_DAY_MS = 86_400_000


@app.timer(interval=300.0)  # type: ignore[untyped-decorator]  # Faust ships it untyped
async def purge_old_statements() -> None:
    days = settings.redis.statement_retention_days
    if days is None:
        return
    before_ms = now_ms() - days * _DAY_MS
    tenants = await with_retries(partial(tenants_with_statements, redis), "view retention")
    for tenant in tenants:
        purged = 0
        purge = partial(purge_view, redis, tenant, before_ms, learner_keys.pseudonymiser(tenant))
        while batch := await with_retries(purge, "view retention"):
            purged += batch
        if purged:
            log.info("statements_purged", tenant=tenant, count=purged)
