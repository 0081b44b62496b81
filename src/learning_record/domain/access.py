"""API keys, scopes and credentials: who may do what, for which tenant. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from learning_record.domain.identity import ifi_of_raw
from learning_record.domain.statement_index import (
    LRS_AUTHORITY_HOMEPAGE_PREFIX,
    RELATED_AGENT,
    AgentFilter,
)
from learning_record.domain.tenants import checked_tenant
from learning_record.platform.plans import CUSTOM, UsagePlan


class Scope(StrEnum):
    STATEMENTS_WRITE = "statements/write"
    STATEMENTS_READ = "statements/read"
    STATEMENTS_READ_MINE = "statements/read/mine"
    # xAPI Communication 4.2: the document resources, and the Activity and Agent definitions.
    STATE = "state"
    PROFILE = "profile"
    DEFINE = "define"
    INDICATORS_READ = "indicators/read"
    PROCESS = "process"
    OPS = "ops"
    ADMIN = "admin"
    ALL = "all"
    ALL_READ = "all/read"


# What ``all/read`` grants: "unrestricted read access" (xAPI Communication 4.2), to learning
# records only.
_READ_SCOPES = {Scope.STATEMENTS_READ, Scope.STATEMENTS_READ_MINE, Scope.INDICATORS_READ}
# ``ops`` shows the whole deployment, across tenants: only a key that names it has it. ``all``
# is everything of one tenant, and is what ``lr keys create`` grants by default.
_DEPLOYMENT_SCOPES = {Scope.OPS}

# The authority of statements an API key writes: an account the spec's rules accept as an Agent.
KEY_AUTHORITY_HOMEPAGE = f"{LRS_AUTHORITY_HOMEPAGE_PREFIX}api-key"


class ApiKeyRecord(BaseModel):
    """What the keys topic holds per key id. The secret itself is never stored, only its hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str
    tenant: str
    name: str
    scopes: tuple[Scope, ...]
    plan: str = CUSTOM
    # Limits of a key on the custom plan; None is unlimited. Other plans take theirs from settings.
    requests_per_s: int | None = Field(default=None, ge=1)
    statements_per_month: int | None = Field(default=None, ge=0)
    secret_hash: str
    created_at: datetime
    revoked: bool = False
    # Bumped by every change (rotation, revocation): caches keep the highest revision they see,
    # so a late copy of an older record never brings back an old secret.
    revision: int = Field(default=0, ge=0)

    @field_validator("tenant")
    @classmethod
    def _tenant_is_a_slug(cls, tenant: str) -> str:
        return checked_tenant(tenant)

    def usage_plan(self, plans: Mapping[str, UsagePlan]) -> UsagePlan:
        if self.plan == CUSTOM:
            return UsagePlan(
                requests_per_s=self.requests_per_s, statements_per_month=self.statements_per_month
            )
        return plans[self.plan]

    def grants(self, needed: Scope) -> bool:
        if self.revoked:
            return False
        if needed in self.scopes:
            return True
        if Scope.ALL in self.scopes:
            return needed not in _DEPLOYMENT_SCOPES
        return Scope.ALL_READ in self.scopes and needed in _READ_SCOPES


def supersedes(record: ApiKeyRecord, held: ApiKeyRecord | None) -> bool:
    """Whether ``record`` replaces ``held``, copies of one key met in any order: a higher
    revision wins, and at the same revision a revocation does, so that two changes made from
    the same revision (a rotation racing a revocation) never leave the key alive."""
    if held is None or record.revision != held.revision:
        return held is None or record.revision > held.revision
    return record.revoked or not held.revoked


def key_authority(key_id: str) -> dict[str, Any]:
    """The authority the LRS gives the statements a key writes (xAPI Data 2.4.9)."""
    return {"objectType": "Agent", "account": {"homePage": KEY_AUTHORITY_HOMEPAGE, "name": key_id}}


def key_authority_filter(key_id: str) -> AgentFilter:
    """The filter of every statement naming the key's authority as a related agent: a
    superset of the key's own statements, which ``written_by_key`` then checks one by one."""
    return AgentFilter(RELATED_AGENT, ifi_of_raw(key_authority(key_id)))


def written_by_key(document: Mapping[str, Any], key_id: str) -> bool:
    """Whether a stored statement's authority is this key: what ``statements/read/mine`` reads
    ("with an authority matching what the LRS would assign", xAPI Communication 4.2)."""
    authority = document.get("authority")
    if not isinstance(authority, dict) or authority.get("objectType", "Agent") != "Agent":
        return False
    return bool(authority.get("account") == {"homePage": KEY_AUTHORITY_HOMEPAGE, "name": key_id})


def is_lrs_account(home_page: str) -> bool:
    """An account homePage only the LRS may assign: a client claiming it is overruled."""
    return home_page.startswith(LRS_AUTHORITY_HOMEPAGE_PREFIX)


class IssuedKey(BaseModel):
    """A freshly minted key: the only moment the secret exists in clear."""

    record: ApiKeyRecord
    secret: str = Field(repr=False)

    @property
    def header_value(self) -> str:
        """The value of ``x-api-key``."""
        return f"{self.record.key_id}.{self.secret}"


def hash_secret(key_id: str, secret: str) -> str:
    # Secrets are 256 random bits, so brute force is out of reach and a slow password KDF would
    # only add milliseconds to every request; SHA-256 bound to the key id is the usual choice.
    return hashlib.sha256(f"{key_id}:{secret}".encode()).hexdigest()


def secret_matches(record: ApiKeyRecord, secret: str) -> bool:
    return hmac.compare_digest(record.secret_hash, hash_secret(record.key_id, secret))


def mint_key(
    *,
    tenant: str,
    name: str,
    scopes: tuple[Scope, ...],
    plan: str = CUSTOM,
    requests_per_s: int | None = None,
    statements_per_month: int | None = None,
) -> IssuedKey:
    key_id = "lrk_" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    record = ApiKeyRecord(
        key_id=key_id,
        tenant=tenant,
        name=name,
        scopes=scopes,
        plan=plan,
        requests_per_s=requests_per_s,
        statements_per_month=statements_per_month,
        secret_hash=hash_secret(key_id, secret),
        created_at=datetime.now(UTC),
    )
    return IssuedKey(record=record, secret=secret)


def rotated(record: ApiKeyRecord) -> IssuedKey:
    """The same key (id, tenant, scopes, plan) with a new secret: the old one stops working."""
    secret = secrets.token_urlsafe(32)
    updated = record.model_copy(
        update={
            "secret_hash": hash_secret(record.key_id, secret),
            "revision": record.revision + 1,
        }
    )
    return IssuedKey(record=updated, secret=secret)


def revoked(record: ApiKeyRecord) -> ApiKeyRecord:
    return record.model_copy(update={"revoked": True, "revision": record.revision + 1})


def split_api_key(header_value: str) -> tuple[str, str] | None:
    """``<key id>.<secret>`` from ``x-api-key``, or None when it has not that shape."""
    key_id, dot, secret = header_value.strip().partition(".")
    if not dot or not key_id or not secret:
        return None
    return key_id, secret
