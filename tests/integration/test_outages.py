"""A dependency that is down or frozen costs a caller a fast 503 with Retry-After, never a hang,
and loses nothing: on a broker and a Redis of this module's own, frozen with SIGSTOP."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from learning_record.cli.stack.local_stack import LocalStack, for_local_stack
from learning_record.cli.stack.processes import ManagedProcess
from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key
from tests.integration.isolated_stack import base_url_of
from tests.ports import free_ports
from tests.unit.factories import make_statement
from tests.waiting import until

pytestmark = pytest.mark.integration

WRITE_DEADLINE_S = 3.0
PRODUCER_REQUEST_TIMEOUT_S = 4.0
REDIS_TIMEOUT_S = 1.0
# What "fast" means here: the deadline plus a generous margin for a loaded machine. The point
# is an answer instead of a hang (before: 172 s, until the broker came back).
ANSWER_WITHIN_S = 30.0


@pytest.fixture(scope="module")
def outage_stack(
    stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    kafka_port, controller_port, redis_port, api_port = free_ports(4)
    base = stack_settings
    settings = for_local_stack(
        base.model_copy(
            update={
                "kafka": base.kafka.model_copy(
                    update={
                        "topic_prefix": "lr-outage",
                        "write_deadline_s": WRITE_DEADLINE_S,
                        "producer_request_timeout_s": PRODUCER_REQUEST_TIMEOUT_S,
                    }
                ),
                "redis": base.redis.model_copy(update={"timeout_s": REDIS_TIMEOUT_S}),
                "api": base.api.model_copy(update={"port": api_port}),
                "worker": base.worker.model_copy(update={"app_id": "lr-outage"}),
                "stack": base.stack.model_copy(
                    update={
                        "data_dir": Path(tmp_path_factory.mktemp("outage")),
                        "kafka_port": kafka_port,
                        "kafka_controller_port": controller_port,
                        "redis_port": redis_port,
                    }
                ),
            }
        )
    )
    with LocalStack(settings) as stack:
        stack.start_services()
        stack.start_api()
        yield stack


@pytest.fixture(scope="module")
async def outage_key(outage_stack: LocalStack) -> IssuedKey:
    return await issue_key(outage_stack.settings)


@pytest.fixture
async def client(outage_key: IssuedKey) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"x-api-key": outage_key.header_value, "X-Experience-API-Version": "1.0.3"}
    timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN_S)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
        yield session


@contextmanager
def frozen(process: ManagedProcess) -> Iterator[None]:
    assert process.popen is not None
    os.kill(process.popen.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.popen.pid, signal.SIGCONT)


def _service(stack: LocalStack, name: str) -> ManagedProcess:
    (process,) = [p for p in stack.processes if name in p.name]
    return process


async def test_a_write_to_a_frozen_broker_is_a_503_and_reads_answer_from_redis(
    outage_stack: LocalStack, client: aiohttp.ClientSession
) -> None:
    base = base_url_of(outage_stack.settings)
    stored_id = str(uuid.uuid4())
    async with client.put(
        f"{base}/statements", params={"statementId": stored_id}, json=make_statement(id=stored_id)
    ) as response:
        assert response.status == 204

    with frozen(_service(outage_stack, "kafka")):
        started = time.monotonic()
        statement_id = str(uuid.uuid4())
        async with client.put(
            f"{base}/statements",
            params={"statementId": statement_id},
            json=make_statement(id=statement_id),
        ) as response:
            body = await response.json()
            assert response.status == 503
            assert response.headers["Retry-After"] == "5"
            assert body["error"]["code"] == "kafka_unavailable"
        assert time.monotonic() - started < ANSWER_WITHIN_S

        async with client.get(f"{base}/statements", params={"statementId": stored_id}) as response:
            assert response.status == 200
            assert (await response.json())["id"] == stored_id
            assert "X-Experience-API-Consistent-Through" in response.headers

    # The broker is back: the same write goes through, and is readable.
    async with client.put(
        f"{base}/statements",
        params={"statementId": statement_id},
        json=make_statement(id=statement_id),
    ) as response:
        assert response.status == 204
    async with client.get(f"{base}/statements", params={"statementId": statement_id}) as response:
        assert response.status == 200


async def test_a_frozen_redis_is_a_503_and_the_service_recovers(
    outage_stack: LocalStack, client: aiohttp.ClientSession
) -> None:
    base = base_url_of(outage_stack.settings)
    statement_id = str(uuid.uuid4())
    with frozen(_service(outage_stack, "redis")):
        async with client.get(
            f"{base}/statements", params={"statementId": statement_id}
        ) as response:
            body = await response.json()
            assert response.status == 503
            assert response.headers["Retry-After"] == "5"
            assert body["error"]["code"] == "redis_unavailable"
        async with client.get(f"{base}/health") as response:
            assert response.status == 200  # liveness needs no dependency

    async with client.get(f"{base}/statements", params={"statementId": statement_id}) as response:
        assert response.status == 404


async def test_a_broker_down_past_the_producers_timeouts_gets_503s_and_the_api_recovers_alone(
    outage_stack: LocalStack, client: aiohttp.ClientSession
) -> None:
    """The node frozen for longer than two of the producer's request timeouts (its requests in
    flight time out and are retried): every write meanwhile is a 503 with a clear error, never
    a 200; once the node is back, the same API process takes writes again without a restart,
    and a client's retry of each refused statement passes and reads back."""
    base = base_url_of(outage_stack.settings)
    refused: list[dict[str, object]] = []
    with frozen(_service(outage_stack, "kafka")):
        frozen_at = time.monotonic()
        # Each write waits the write deadline: the outage lasts as long as they take.
        while time.monotonic() - frozen_at <= 2 * PRODUCER_REQUEST_TIMEOUT_S + WRITE_DEADLINE_S:
            statement = make_statement(id=str(uuid.uuid4()))
            async with client.post(f"{base}/statements", json=[statement]) as response:
                body = await response.json()
                assert response.status == 503
                assert response.headers["Retry-After"] == "5"
                assert body["error"]["code"] == "kafka_unavailable"
            refused.append(statement)

    async def accepted(statement: dict[str, object]) -> int:
        async with client.post(f"{base}/statements", json=[statement]) as response:
            await response.read()
            return response.status

    # Back by itself: a refused statement sent again passes, then every other one at once.
    await until(
        lambda: accepted(refused[0]), lambda status: status == 200, within_s=120, what="a 200"
    )
    for statement in refused[1:]:
        assert await accepted(statement) == 200
    for statement in refused:
        async with client.get(
            f"{base}/statements", params={"statementId": str(statement["id"])}
        ) as response:
            assert response.status == 200
            assert (await response.json())["id"] == statement["id"]
