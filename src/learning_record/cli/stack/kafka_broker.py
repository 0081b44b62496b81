"""Apache Kafka nodes in KRaft combined mode (broker and controller each), run from the Maven
jars: one alone by default, or several that form one cluster (``lr dev --cluster``)."""

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
    data_dir: Path  # the stack's: every node of a cluster keeps its files under it
    libs_dir: Path
    port: int
    controller_port: int
    cluster_id: str
    heap: str = "512m"
    partitions: int = 4
    node_id: int = 1
    # Every controller of the cluster, (node id, controller port); this node alone by default.
    voters: tuple[tuple[int, int], ...] = ()
    replication_factor: int = 1
    min_insync_replicas: int = 1
    # Lines appended to server.properties, where a key given again overrides the one above it
    # (a listener that asks for TLS and SASL, in the Kafka security test).
    extra_properties: str = ""

    @property
    def node_dir(self) -> Path:
        """The node's configuration; node 1 keeps the folder names of a single broker."""
        return self.data_dir / ("kafka" if self.node_id == 1 else f"kafka-{self.node_id}")

    @property
    def log_dirs(self) -> Path:
        return self.data_dir / ("kafka-logs" if self.node_id == 1 else f"kafka-logs-{self.node_id}")

    @property
    def name(self) -> str:
        return "kafka" if self.node_id == 1 else f"kafka-{self.node_id}"


def server_properties(config: KafkaBrokerConfig) -> str:
    voters = config.voters or ((config.node_id, config.controller_port),)
    quorum = ",".join(f"{node}@127.0.0.1:{port}" for node, port in voters)
    replicas, in_sync = config.replication_factor, config.min_insync_replicas
    return f"""\
process.roles=broker,controller
node.id={config.node_id}
controller.quorum.voters={quorum}
listeners=PLAINTEXT://127.0.0.1:{config.port},CONTROLLER://127.0.0.1:{config.controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{config.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={config.log_dirs}
num.partitions={config.partitions}
# Kafka's own topics and any topic created without settings are as safe as ours.
default.replication.factor={replicas}
min.insync.replicas={in_sync}
offsets.topic.replication.factor={replicas}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor={replicas}
transaction.state.log.min.isr={in_sync}
share.coordinator.state.topic.replication.factor={replicas}
share.coordinator.state.topic.min.isr={in_sync}
# A lone consumer should not wait 3 s for company before it gets its partitions.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=false
# An erased learner's data key leaves this broker's disk within seconds of the learner-keys
# topic's bound (docs/privacy.md) instead of a minute and more: the log cleaner looks for a log
# to compact every second (default 15 s), and unlinks and closes a segment it replaced 1 s after
# (default 60 s; a topic's file.delete.delay.ms). tests/integration/test_learner_key_compaction.py
log.cleaner.backoff.ms=1000
log.segment.delete.delay.ms=1000
{config.extra_properties}"""


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "java not found: install a Java 17 runtime (apt-get install openjdk-17-jre)"
        )
    return java


def new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def formatted_cluster_id(data_dir: Path) -> str | None:
    """The cluster id the stack's first node was formatted with, if it was."""
    meta = data_dir / "kafka-logs" / "meta.properties"
    if not meta.exists():
        return None
    for line in meta.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "cluster.id":
            return value.strip()
    return None


def prepare(config: KafkaBrokerConfig) -> Path:
    """Write the node's configuration and format its storage once; returns the properties path."""
    if not any(config.libs_dir.glob("kafka_2.13-*.jar")):
        raise RuntimeError(f"no Kafka jars in {config.libs_dir}: run `make kafka` first")
    config.node_dir.mkdir(parents=True, exist_ok=True)
    properties = config.node_dir / "server.properties"
    properties.write_text(server_properties(config))
    (config.node_dir / "log4j2.properties").write_text(_LOG4J2)
    if not (config.log_dirs / "meta.properties").exists():
        ManagedProcess(
            f"{config.name}-format",
            [
                *_java_command(config),
                "kafka.tools.StorageTool",
                "format",
                # "=" form: a random id may begin with "-" and would read as an option.
                f"--cluster-id={config.cluster_id}",
                f"--config={properties}",
            ],
            log_path=config.data_dir / "logs" / f"{config.name}-format.log",
        ).start_and_wait(timeout_s=120)
    return properties


def _java_command(config: KafkaBrokerConfig) -> list[str]:
    log4j = config.node_dir / "log4j2.properties"
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
        config.name,
        [*_java_command(config), "kafka.Kafka", str(properties)],
        log_path=config.data_dir / "logs" / f"{config.name}.log",
    )


async def metadata_answers(bootstrap: str, brokers: int = 1) -> bool:
    """True when the broker answers a metadata request that lists ``brokers`` live brokers."""
    # Refused connections are expected while the broker boots; aiokafka logs each as an error.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return len(cluster.get("brokers") or []) >= brokers
    except Exception:  # any connection or protocol error means "not yet"
        return False
    finally:
        await admin.close()
        logging.getLogger("aiokafka").setLevel(logging.NOTSET)


def wait_ready(proc: ManagedProcess, port: int, timeout_s: float = 120, brokers: int = 1) -> None:
    """Until the node on ``port`` answers and sees ``brokers`` brokers (its cluster's size)."""
    bootstrap = f"127.0.0.1:{port}"
    wait_until(
        f"Kafka metadata from {proc.name}",
        lambda: asyncio.run(metadata_answers(bootstrap, brokers)),
        timeout_s,
        proc,
    )
