"""Tenant names, validated wherever one enters: an API key's record and a Kafka record's
``lr-tenant`` header.

A tenant name is a slug. It becomes part of Redis hash tags (``{t:<tenant>}``) and of the
worker's routing keys (``<tenant>|<subject>``), so a name holding ``|``, ``}`` or a control
character could write into another tenant's data: ``a|b`` would route as tenant ``a``.
"""

from __future__ import annotations

import re

from learning_record.domain.errors import InvalidTenant

# fullmatch, not match with "$": "$" also matches before a trailing newline.
_TENANT = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
TENANT_RULE = "1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit"


def checked_tenant(name: str) -> str:
    """``name`` when it is a valid tenant name; ``InvalidTenant`` saying why otherwise."""
    if not _TENANT.fullmatch(name):
        raise InvalidTenant(f"tenant {name[:80]!r} is not {TENANT_RULE}")
    return name
