"""Issue, rotate, list and revoke API keys: the compacted keys topic first (durable), then the
Redis cache that every API process reads first, so a change holds in all of them at once.
Rotations and revocations of one key run one at a time (``store.api_keys.changing_key``), each
reading the record the previous one wrote."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from learning_record.domain.access import ApiKeyRecord, IssuedKey, Scope, mint_key, revoked, rotated
from learning_record.domain.tenants import checked_tenant
from learning_record.platform.kafka_access import client_options
from learning_record.platform.plans import CUSTOM
from learning_record.platform.settings import Settings
from learning_record.platform.topics import ensure_topics
from learning_record.store.api_keys import cache_key, changing_key
from learning_record.store.connection import open_redis
from learning_record.store.key_log import read_all_keys


async def _publish(settings: Settings, record: ApiKeyRecord) -> None:
    await ensure_topics(settings.kafka)
    producer = AIOKafkaProducer(
        **client_options(settings.kafka), enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.kafka.keys_topic,
            key=record.key_id.encode(),
            value=record.model_dump_json().encode(),
        )
    finally:
        await producer.stop()
    redis = open_redis(settings.redis)
    try:
        await cache_key(redis, record)
    finally:
        await redis.aclose()


async def create_key(
    settings: Settings,
    *,
    tenant: str,
    name: str,
    scopes: tuple[Scope, ...],
    plan: str,
    requests_per_s: int | None = None,
    statements_per_month: int | None = None,
) -> IssuedKey:
    checked_tenant(tenant)  # before anything is written, with the rule in the message
    if plan not in settings.plans:
        raise ValueError(f"unknown plan {plan!r}; known plans: {', '.join(settings.plans)}")
    if plan != CUSTOM and (requests_per_s is not None or statements_per_month is not None):
        raise ValueError(f"plan {plan!r} has its own limits; per-key limits need plan 'custom'")
    issued = mint_key(
        tenant=tenant,
        name=name,
        scopes=scopes,
        plan=plan,
        requests_per_s=requests_per_s,
        statements_per_month=statements_per_month,
    )
    await _publish(settings, issued.record)
    return issued


@asynccontextmanager
async def _changing(settings: Settings, key_id: str) -> AsyncIterator[None]:
    redis = open_redis(settings.redis)
    try:
        async with changing_key(redis, key_id):
            yield
    finally:
        await redis.aclose()


async def revoke_key(settings: Settings, key_id: str) -> ApiKeyRecord | None:
    async with _changing(settings, key_id):
        record = (await list_keys(settings)).get(key_id)
        if record is None:
            return None
        revocation = revoked(record)
        await _publish(settings, revocation)
        return revocation


class KeyNotRotatable(ValueError):
    """No such key, or a revoked one: a revoked key stays revoked."""


async def rotate_key(settings: Settings, key_id: str) -> IssuedKey:
    """A new secret for the key, same id, tenant, scopes and plan; the old secret stops working
    once this returns."""
    async with _changing(settings, key_id):
        record = (await list_keys(settings)).get(key_id)
        if record is None:
            raise KeyNotRotatable(f"no key {key_id}")
        if record.revoked:
            raise KeyNotRotatable(f"key {key_id} is revoked; create a new one")
        issued = rotated(record)
        await _publish(settings, issued.record)
        return issued


@dataclass(frozen=True, slots=True)
class TenantKeys:
    tenant: str
    active: int
    revoked: int


async def list_tenants(settings: Settings) -> list[TenantKeys]:
    """Every tenant that has keys, with how many are active and revoked, from the keys topic."""
    counts: dict[str, Counter[bool]] = defaultdict(Counter)
    for record in (await list_keys(settings)).values():
        counts[record.tenant][record.revoked] += 1
    return [
        TenantKeys(tenant, active=count[False], revoked=count[True])
        for tenant, count in sorted(counts.items())
    ]


async def list_keys(settings: Settings) -> dict[str, ApiKeyRecord]:
    """Every key id with its latest record, from the topic: the durable copy, not the cache."""
    await ensure_topics(settings.kafka)
    return await read_all_keys(settings.kafka)
