"""The Redis key layout: the only place that builds a key string, for writers and readers alike.

Every key of a tenant carries the hash tag ``{t:<tenant>}``, so that the keys one operation
touches live in one slot on Redis Cluster and one Lua script or MULTI may span them.

    lr:{t:<tenant>}:stmt:<statement id>          statement document (JSON), first write wins
    lr:{t:<tenant>}:learner:<learner id>         hash of the learner's mirrored counters
    lr:keys:{k:<key id>}                         API key record (JSON), cache of the keys topic
    lr:keys:index                                set of every key id, for `lr keys list`
"""

from __future__ import annotations

PREFIX = "lr"


def _tenant_tag(tenant: str) -> str:
    return f"{PREFIX}:{{t:{tenant}}}"


def statement(tenant: str, statement_id: str) -> str:
    return f"{_tenant_tag(tenant)}:stmt:{statement_id}"


def learner(tenant: str, learner_id: str) -> str:
    return f"{_tenant_tag(tenant)}:learner:{learner_id}"


def api_key(key_id: str) -> str:
    return f"{PREFIX}:keys:{{k:{key_id}}}"


API_KEY_INDEX = f"{PREFIX}:keys:index"


def request_window(tenant: str, key_id: str) -> str:
    """``<window number>:<requests in it>`` of one key's rate limit (gateway)."""
    return f"{_tenant_tag(tenant)}:rate:{key_id}"


def statement_quota(tenant: str, key_id: str, month: str) -> str:
    """Statements one key wrote in a calendar month ``YYYY-MM`` (gateway)."""
    return f"{_tenant_tag(tenant)}:quota:{key_id}:{month}"
