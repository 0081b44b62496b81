"""Scenario 1: statements produced straight to the statements topic, one record each, timed
from the first record sent to the worker having committed everything they caused (the
indicators' ``consistent_through`` then passes the last one)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import orjson
from aiokafka import AIOKafkaProducer

from bench.stack import BenchStack, RunStart, wait_caught_up
from bench.workloads import Statement
from learning_record.domain import ingest
from learning_record.domain.access import IssuedKey


async def produced_rate(
    stack: BenchStack,
    statements: Sequence[Statement],
    label: str,
    key: IssuedKey | None = None,
) -> float:
    """Statements per second, end to end, for one run on a tenant of its own (or ``key``'s)."""
    key = key or await stack.new_tenant_key("k")
    values = [orjson.dumps(statement) for statement in statements]
    headers = [(ingest.TENANT_HEADER, key.record.tenant.encode())]
    settings = stack.settings
    before = await stack.records_in_statements_topic()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=20,
    )
    await producer.start()
    try:
        started = time.perf_counter()
        for value in values:
            await producer.send(settings.kafka.statements_topic, value, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()
    print(f"    {label}: produced in {time.perf_counter() - started:.1f} s", flush=True)
    run = RunStart(started, before)
    done = await wait_caught_up(stack, before + len(values), label=label, run=run)
    return len(values) / (done - started)
