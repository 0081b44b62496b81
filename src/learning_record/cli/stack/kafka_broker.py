"""A single-node Apache Kafka broker in KRaft combined mode, run from its Maven jars."""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from learning_record.cli.stack.processes import ManagedProcess, wait_until

_LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = info
"""


@dataclass(frozen=True)
class KafkaBrokerConfig:
    data_dir: Path
    libs_dir: Path
    port: int
    controller_port: int
    heap: str = "512m"
    partitions: int = 4


def server_properties(config: KafkaBrokerConfig) -> str:
    log_dirs = config.data_dir / "kafka-logs"
    return f"""\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{config.controller_port}
listeners=PLAINTEXT://127.0.0.1:{config.port},CONTROLLER://127.0.0.1:{config.controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{config.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={log_dirs}
num.partitions={config.partitions}
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# A lone consumer should not wait 3 s for company before it gets its partitions.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=false
"""


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "java not found: install a Java 17 runtime (apt-get install openjdk-17-jre)"
        )
    return java


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def prepare(config: KafkaBrokerConfig) -> Path:
    """Write the broker's configuration and format its storage once; returns the properties path."""
    if not any(config.libs_dir.glob("kafka_2.13-*.jar")):
        raise RuntimeError(f"no Kafka jars in {config.libs_dir}: run `make kafka` first")
    kafka_dir = config.data_dir / "kafka"
    kafka_dir.mkdir(parents=True, exist_ok=True)
    properties = kafka_dir / "server.properties"
    properties.write_text(server_properties(config))
    (kafka_dir / "log4j2.properties").write_text(_LOG4J2)
    if not (config.data_dir / "kafka-logs" / "meta.properties").exists():
        ManagedProcess(
            "kafka-format",
            [
                *_java_command(config),
                "kafka.tools.StorageTool",
                "format",
                # "=" form: a random id may begin with "-" and would read as an option.
                f"--cluster-id={_cluster_id()}",
                f"--config={properties}",
            ],
            log_path=config.data_dir / "logs" / "kafka-format.log",
        ).start_and_wait(timeout_s=120)
    return properties


def _java_command(config: KafkaBrokerConfig) -> list[str]:
    log4j = config.data_dir / "kafka" / "log4j2.properties"
    return [
        _java(),
        f"-Xmx{config.heap}",
        f"-Xms{config.heap}",
        "-XX:+UseG1GC",
        "-XX:TieredStopAtLevel=1",  # C1 only: the broker is up seconds sooner on 2 cores.
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j.resolve()}",
        "-cp",
        f"{config.libs_dir.resolve()}/*",
    ]


def broker_process(config: KafkaBrokerConfig) -> ManagedProcess:
    properties = prepare(config)
    return ManagedProcess(
        "kafka",
        [*_java_command(config), "kafka.Kafka", str(properties)],
        log_path=config.data_dir / "logs" / "kafka.log",
    )


async def metadata_answers(bootstrap: str) -> bool:
    """True when the broker answers a metadata request and has a live controller."""
    # Refused connections are expected while the broker boots; aiokafka logs each as an error.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers"))
    except Exception:  # any connection or protocol error means "not yet"
        return False
    finally:
        await admin.close()
        logging.getLogger("aiokafka").setLevel(logging.NOTSET)


def wait_ready(proc: ManagedProcess, port: int, timeout_s: float = 120) -> None:
    bootstrap = f"127.0.0.1:{port}"
    wait_until("Kafka metadata", lambda: asyncio.run(metadata_answers(bootstrap)), timeout_s, proc)
