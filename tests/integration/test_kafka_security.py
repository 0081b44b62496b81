"""Kafka as managed services run it: a broker of its own whose only listener for clients asks
for TLS and a SASL login (its PLAINTEXT listener serves its controller and the readiness probe
only). The API, the worker and the `lr` commands reach it through `LR_KAFKA__SECURITY_PROTOCOL`
and its companions alone; a wrong password is refused at once with a one-line error that says
so, not retried for the start's deadline (aiokafka reports only that it could not bootstrap)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from learning_record.cli.stack.kafka_broker import (
    KafkaBrokerConfig,
    broker_process,
    new_cluster_id,
    wait_ready,
)
from learning_record.cli.stack.local_stack import LocalStack
from learning_record.domain.access import Scope
from learning_record.platform.settings import Settings
from learning_record.platform.topics import ensure_topics
from tests.certificates import self_signed
from tests.integration.conftest import isolated_settings, issue_key
from tests.integration.indicator_reads import learner_statement_count
from tests.integration.isolated_stack import base_url_of
from tests.integration.lr_cli import run_lr_status
from tests.integration.test_statement_resource import XAPI, statement
from tests.ports import free_ports
from tests.waiting import until

USER, PASSWORD = "learning-record", "a broker's own password"


@dataclass(frozen=True)
class SecuredBroker:
    address: str  # host:port of the SASL_SSL listener
    certificate: Path  # the broker's certificate, self-signed: what a client must trust


@pytest.fixture(scope="module")
def secured_broker(
    stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredBroker]:
    data = tmp_path_factory.mktemp("kafka-sasl-ssl")
    certificate, key = self_signed(data)
    keystore = data / "keystore.pem"  # Kafka's PEM key store: the key, then its certificate
    keystore.write_bytes(key.read_bytes() + certificate.read_bytes())
    port, controller_port, secured_port = free_ports(3)
    login = "org.apache.kafka.common.security.plain.PlainLoginModule required"
    listeners = f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
    secured = f"SECURED://127.0.0.1:{secured_port}"
    config = KafkaBrokerConfig(
        data_dir=data,
        libs_dir=stack_settings.stack.kafka_libs,
        port=port,
        controller_port=controller_port,
        cluster_id=new_cluster_id(),
        extra_properties=f"""\
listeners={listeners},{secured}
advertised.listeners=PLAINTEXT://127.0.0.1:{port},{secured}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SECURED:SASL_SSL
listener.name.secured.sasl.enabled.mechanisms=PLAIN
listener.name.secured.plain.sasl.jaas.config={login} user_{USER}="{PASSWORD}";
listener.name.secured.ssl.keystore.type=PEM
listener.name.secured.ssl.keystore.location={keystore}
""",
    )
    broker = broker_process(config)
    broker.start()
    try:
        wait_ready(broker, port)
        yield SecuredBroker(f"127.0.0.1:{secured_port}", certificate)
    finally:
        broker.stop()


def secured_settings(base: Settings, broker: SecuredBroker, password: str) -> Settings:
    """Topics and a group of their own on the secured broker, the session's Redis."""
    settings = isolated_settings(base, "sasl")
    api_port, metrics_port = free_ports(2)
    kafka = settings.kafka.model_copy(
        update={
            "bootstrap_servers": broker.address,
            "security_protocol": "SASL_SSL",
            "sasl_username": USER,
            "sasl_password": SecretStr(password),
            "tls_ca_file": broker.certificate,
        }
    )
    return settings.model_copy(
        update={
            "kafka": kafka,
            "api": settings.api.model_copy(update={"port": api_port}),
            "worker": settings.worker.model_copy(update={"metrics_port": metrics_port}),
        }
    )


async def test_api_worker_and_lr_commands_reach_a_broker_that_asks_for_tls_and_a_login(
    services: LocalStack, secured_broker: SecuredBroker
) -> None:
    settings = secured_settings(services.settings, secured_broker, PASSWORD)
    await ensure_topics(settings.kafka)  # an admin client
    key = await issue_key(settings)  # `lr keys create`'s producer
    ops_key = await issue_key(settings, scopes=(Scope.OPS,))
    learner = {"objectType": "Agent", "mbox": "mailto:sasl@example.org"}
    with LocalStack(settings) as processes:
        processes.start_api()
        processes.start_worker()
        base_url = base_url_of(settings)
        headers = {"x-api-key": key.header_value, **XAPI}
        async with aiohttp.ClientSession() as http:

            async def post() -> int:
                body = statement(actor=learner)
                async with http.post(f"{base_url}/statements", json=body, headers=headers) as r:
                    return r.status

            # The API learns of the key from the keys topic (its own consumer), then writes.
            assert await until(post, lambda status: status != 401, within_s=120) == 200
            # The worker (Faust's consumers and producer, the changelog producer) counted it.
            counted = await until(
                lambda: learner_statement_count(http, base_url, key, learner),
                lambda count: count == 1,
                within_s=300,
                what="the statement counted by the worker",
            )
            assert counted == 1
            async with http.get(
                f"{base_url}/ops/lag", headers={"x-api-key": ops_key.header_value}
            ) as response:
                assert response.status == 200
                (group,) = (await response.json())["groups"]
    assert group["group"] == settings.worker.app_id
    assert {p["topic"] for p in group["partitions"]} >= {settings.kafka.statements_topic}
    assert all(p["owner"] is not None for p in group["partitions"])


async def test_a_wrong_kafka_password_is_a_one_line_error(
    services: LocalStack, secured_broker: SecuredBroker
) -> None:
    settings = secured_settings(services.settings, secured_broker, "not the password")
    code, stdout, stderr = await asyncio.wait_for(
        run_lr_status(settings, "dlq", "list"), timeout=120
    )
    assert code == 1
    last_line = stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"Kafka at {secured_broker.address} failed:"), stderr
    assert f"the SASL login of '{USER}' was refused" in last_line, stderr
    assert "Traceback" not in stderr
    assert stdout == ""
