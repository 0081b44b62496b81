"""The stack on a three-node Kafka cluster, as `lr dev --cluster` starts it (every node a broker
and a controller, every topic replicated 3 times with min.insync.replicas 2, producers
idempotent with acks=all) and a Redis Cluster of three masters with a replica each: HTTP ingest
goes on through the SIGKILL of a broker, of an API process, of a Redis master or of one of two
workers, and nothing the API accepted is lost, doubled or counted twice (issue #11)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from learning_record.cli.stack.local_stack import (
    CLUSTER_APIS,
    LocalStack,
)
from learning_record.domain.access import IssuedKey
from learning_record.domain.indicators.reference import counted_statements
from learning_record.platform.settings import (
    Settings,
)
from learning_record.store import keys
from learning_record.store.connection import REDIS_UNAVAILABLE, RedisClient, open_redis
from learning_record.store.statements import missing_from_view
from tests.integration.conftest import issue_key
from tests.integration.fun_mooc import fun_mooc_statements
from tests.integration.indicator_exactness import compare_learners_and_activities, settle
from tests.integration.indicator_history import history
from tests.integration.isolated_stack import (
    base_url_of,
    owned_by,
    stack_of_its_own,
)
from tests.integration.kafka_io import produce_many
from tests.integration.lr_cli import run_lr, run_lr_status
from tests.integration.metrics_text import scrape, total
from tests.integration.redis_cluster_nodes import (
    cluster_ok,
    master_and_replica_of,
    replica_caught_up,
)
from tests.ports import free_ports
from tests.unit.factories import make_statement
from tests.waiting import until

pytestmark = pytest.mark.cluster

LEARNERS = [{"mbox": f"mailto:learner{n}@example.org"} for n in range(8)]
BATCH = 20
CLIENTS = 3
BEFORE_KILL, DURING_OUTAGE, AFTER_RESTART = 15, 15, 10  # batches accepted in each phase
PADDING_BYTES = 32 * 1024 * 1024


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Three Kafka nodes, a Redis Cluster of six, one worker (a test adds a second) and two API
    processes sharing one port, on free ports, in a folder of their own."""
    settings = stack_of_its_own(tmp_path_factory.mktemp("cluster"), "cluster", cluster=True)
    with LocalStack(settings) as stack:
        stack.start_services()
        stack.start_worker()
        stack.start_shared_apis(free_ports(CLUSTER_APIS))
        yield stack


@dataclass
class Ingest:
    """What the clients sent and got: statements by id once the API answered 200 for them, and
    every answer that was not a 200."""

    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    refusals: Counter[str] = field(default_factory=Counter)
    batches: int = 0  # accepted
    sent_and_accepted: list[tuple[float, float]] = field(default_factory=list)  # monotonic


async def post_until_accepted(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, ingest: Ingest, sent_at: float
) -> None:
    """One batch with ids, sent again after any refusal, as a client following Retry-After
    would (at once: the test waits on the broker, not on the advice)."""
    statements = [
        make_statement(id=str(uuid.uuid4()), actor=LEARNERS[n % len(LEARNERS)])
        for n in range(BATCH)
    ]
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    while True:
        async with http.post(f"{base_url}/statements", json=statements, headers=headers) as answer:
            if answer.status == 200:
                assert sorted(await answer.json()) == sorted(s["id"] for s in statements)
                break
            # Sent again at once: a 503 came only after the API's write deadline.
            ingest.refusals[f"{answer.status} Retry-After={'Retry-After' in answer.headers}"] += 1
    ingest.accepted.update((s["id"], s) for s in statements)
    ingest.batches += 1
    ingest.sent_and_accepted.append((sent_at, time.monotonic()))


async def ingest_until(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, ingest: Ingest, batches: int
) -> None:
    """``CLIENTS`` clients post batches one after the other until ``batches`` more were taken."""
    goal = ingest.batches + batches

    async def client() -> None:
        while ingest.batches < goal:
            await post_until_accepted(http, base_url, key, ingest, time.monotonic())

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def leader_of_statements(settings: Settings) -> int:
    """The node that leads the statements topic's partition 0: killing it moves a leadership
    that the API's writes wait on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    await admin.start()
    try:
        (topic,) = await admin.describe_topics([settings.kafka.statements_topic])
        (partition,) = [p for p in topic["partitions"] if p["partition"] == 0]
        return int(partition["leader"])
    finally:
        await admin.close()


async def stored_statements(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, agent: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every statement the statement resource holds for ``agent``, page after page."""
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    statements: list[dict[str, Any]] = []
    url = f"{base_url}/statements?agent={orjson.dumps(agent).decode()}&limit=500"
    while url:
        async with http.get(url, headers=headers) as answer:
            assert answer.status == 200
            page = await answer.json()
        statements += page["statements"]
        more = page.get("more", "")
        url = f"{base_url.split('/learningrecord/v1')[0]}{more}" if more else ""
    return statements


@pytest.mark.timeout(1800)  # a bound for a stuck run only: waits follow the work
async def test_a_broker_killed_during_http_ingest_loses_doubles_and_miscounts_nothing(
    cluster: LocalStack,
) -> None:
    settings = cluster.settings
    base_url = base_url_of(settings)
    key = await issue_key(settings)
    ingest = Ingest()
    # A connection per request, as many clients would open: the kernel spreads connections,
    # not requests, between the two API processes on the shared port.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        await until(lambda: _known(http, base_url, key), within_s=120, what="the API knows the key")
        await ingest_until(http, base_url, key, ingest, BEFORE_KILL)

        killed = cluster.brokers[await leader_of_statements(settings) - 1]
        killed.kill()
        killed_at = time.monotonic()
        await ingest_until(http, base_url, key, ingest, DURING_OUTAGE)
        resumed_at = min(at for sent, at in ingest.sent_and_accepted if sent > killed_at)
        # A process that starts while the node is down finds the other two.
        late_url = api_of_its_own(cluster, "api-late")
        await until(lambda: _known(http, late_url, key), within_s=120, what="key known")
        await post_until_accepted(http, late_url, key, ingest, time.monotonic())
        killed.start()
        await ingest_until(http, base_url, key, ingest, AFTER_RESTART)

        # Answers: 200, or 503 with Retry-After while leadership moved; nothing else.
        assert set(ingest.refusals) <= {"503 Retry-After=True"}, ingest.refusals
        print(
            f"node {killed.name} killed: {sum(ingest.refusals.values())} answers 503, first "
            f"batch sent after the kill taken {resumed_at - killed_at:.1f} s after it"
        )

        # Both API processes took a share of the connections to their one port.
        shares = [await _accepted_by(http, cluster, name) for name in ("api-1", "api-2")]
        assert all(share > 0 for share in shares), shares
        late = await _accepted_by(http, cluster, "api-late")
        assert sum(shares) + late >= len(ingest.accepted)

        # Stored exactly once: every id the API accepted, each once, nothing else.
        documents = await every_stored(http, base_url, key)
        stored = [document["id"] for document in documents]
        assert len(stored) == len(set(stored))
        assert set(stored) == set(ingest.accepted)

        # Counted exactly once: every learner and activity equals the batch reference.
        await settle(http, base_url, key, settings)
        compared = await compared_with_reference(http, base_url, key, documents)
        assert compared == 5 * (len(LEARNERS) + 1)


async def every_stored(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey
) -> list[dict[str, Any]]:
    """Every statement stored for the module's learners."""
    return [
        statement
        for agent in LEARNERS
        for statement in await stored_statements(http, base_url, key, agent)
    ]


async def compared_with_reference(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, documents: list[dict[str, Any]]
) -> int:
    """Every learner and activity of ``documents``, every window, against the batch reference
    as of now; the number of sets compared."""
    return await compare_learners_and_activities(
        http,
        base_url,
        key,
        documents,
        counted_statements(documents),
        datetime.now(UTC) + timedelta(seconds=1),
    )


async def _known(http: aiohttp.ClientSession, base_url: str, key: IssuedKey) -> bool:
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    async with http.get(f"{base_url}/statements?limit=1", headers=headers) as answer:
        return answer.status == 200


async def _accepted_by(http: aiohttp.ClientSession, stack: LocalStack, name: str) -> float:
    """Statements one API process accepted over HTTP, from its own /metrics port."""
    (process,) = [p for p in stack.processes if p.name == name]
    port = (process.env or {})["LR_API__METRICS_PORT"]
    async with http.get(f"http://127.0.0.1:{port}/metrics") as answer:
        return total(await answer.text(), "lr_statements_accepted_total", path="http")


@pytest.mark.timeout(1800)  # a bound for a stuck run only: waits follow the work
async def test_an_api_process_killed_mid_batch_leaves_all_or_nothing_and_the_retry_doubles_nothing(
    cluster: LocalStack,
) -> None:
    """SIGKILL of an API process while it writes a batch of 1,000, before it answered: once the
    worker caught up, the batch is stored whole or not at all; the client's retry of the same
    batch through the shared port answers 200; every statement is stored and counted once."""
    settings = cluster.settings
    key = await issue_key(settings)
    shared_url = base_url_of(settings)
    statements = [
        make_statement(id=str(uuid.uuid4()), actor=LEARNERS[n % len(LEARNERS)]) for n in range(1000)
    ]
    async with aiohttp.ClientSession() as http:
        # It would answer 503 after its write deadline; it must die first.
        doomed_url = api_of_its_own(cluster, "api-doomed", {"LR_KAFKA__WRITE_DEADLINE_S": "600"})
        doomed = cluster.processes[-1]
        await until(lambda: _known(http, doomed_url, key), within_s=120, what="key known")
        # Every node frozen: the API process validates the batch, hands it to its producer and
        # waits for the acknowledgement, idle; it dies there, with the batch maybe in a broker's
        # socket, which the broker reads once it runs again.
        for broker in cluster.brokers:
            broker.signal(signal.SIGSTOP)
        try:
            idle = IdleAfterWork(doomed.pid, _cpu_ticks(doomed.pid))
            posting = asyncio.create_task(_post(http, doomed_url, key, statements))
            await until(
                idle.probe,
                within_s=120,
                what="the API process waiting on Kafka after validating the batch",
            )
            doomed.kill()
        finally:
            for broker in cluster.brokers:
                broker.signal(signal.SIGCONT)
        (outcome,) = await asyncio.gather(posting, return_exceptions=True)
        assert isinstance(outcome, aiohttp.ClientError), outcome  # no answer came

        await settle(http, shared_url, key, settings)
        stored = [s["id"] for s in await every_stored(http, shared_url, key)]
        assert len(stored) in (0, len(statements))  # all or nothing
        print(f"killed mid-batch: {len(stored)} of {len(statements)} stored before the retry")

        assert await _post(http, shared_url, key, statements) == 200
        await settle(http, shared_url, key, settings)
        documents = await every_stored(http, shared_url, key)
        assert sorted(d["id"] for d in documents) == sorted(s["id"] for s in statements)
        compared = await compared_with_reference(http, shared_url, key, documents)
        assert compared == 5 * (len(LEARNERS) + 1)


async def _read_by_pipeline(redis: RedisClient, tenant: str) -> bool:
    """Whether a pipeline on the tenant's slot went through."""
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.get(keys.statement_sequence(tenant))
            await pipe.execute()
    except REDIS_UNAVAILABLE:
        return False
    return True


def api_of_its_own(stack: LocalStack, name: str, extra_env: dict[str, str] | None = None) -> str:
    """Start an API process on ports of its own; its base URL."""
    port, metrics_port = free_ports(2)
    host = stack.settings.api.host
    stack.start_api(
        {"LR_API__PORT": str(port), "LR_API__METRICS_PORT": str(metrics_port), **(extra_env or {})},
        name,
        ready_url=f"http://{host}:{port}/learningrecord/v1/health",
    )
    return f"http://{host}:{port}/learningrecord/v1"


async def _post(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, statements: list[dict[str, Any]]
) -> int:
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    async with http.post(f"{base_url}/statements", json=statements, headers=headers) as answer:
        await answer.read()
        return answer.status


def _cpu_ticks(pid: int) -> int:
    """User and system CPU ticks of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@dataclass
class IdleAfterWork:
    """Whether a process used CPU since ``ticks_before`` and then none for ``quiet_s``: each
    probe reads its CPU ticks once, and the quiet spell is measured between probes."""

    pid: int
    ticks_before: int
    quiet_s: float = 0.3
    _ticks: int = -1
    _unchanged_since: float = 0.0

    async def probe(self) -> bool:
        ticks, now = _cpu_ticks(self.pid), time.monotonic()
        if ticks != self._ticks:
            self._ticks, self._unchanged_since = ticks, now
            return False
        return ticks != self.ticks_before and now - self._unchanged_since >= self.quiet_s


@pytest.mark.timeout(1800)  # a bound for a stuck run only: waits follow the work
async def test_a_redis_master_killed_is_replaced_and_replay_restores_what_it_alone_held(
    cluster: LocalStack,
) -> None:
    """SIGKILL of the Redis master that holds a tenant's slot, after it took writes its replica
    never saw (the replica was stopped): the replica takes over, reads and writes resume through
    the cluster client with no answer but 200 or 503, ``lr verify`` reports the statements
    lost, and ``lr replay`` restores the view and the indicators to exactly the reference."""
    settings = cluster.settings
    base_url = base_url_of(settings)
    key = await issue_key(settings)
    tenant = key.record.tenant
    ingest = Ingest()
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http,
        open_redis(settings.redis) as redis,
        # As the API and the worker open it; it will only send pipelines, which re-read the
        # slot map only when they may try again.
        open_redis(settings.redis, deadline_s=2) as pipelines_only,
    ):
        await until(lambda: _known(http, base_url, key), within_s=120, what="the API knows the key")
        await ingest_until(http, base_url, key, ingest, 5)
        await settle(http, base_url, key, settings)
        replicated = set(ingest.accepted)

        assert await _read_by_pipeline(pipelines_only, tenant)  # the slot map, before the kill
        master, replica = master_and_replica_of(cluster, keys.statement_sequence(tenant))
        # Everything so far on the replica too, then the replica stops: what follows is on the
        # master alone.
        await until(
            lambda: asyncio.to_thread(replica_caught_up, master.name),
            within_s=120,
            what="the replica caught up",
        )
        replica.signal(signal.SIGSTOP)
        try:
            # 32 MB in the tenant's slot, more than the sockets between them hold: the master
            # keeps the rest in its own memory, which dies with it, and what follows with it.
            await redis.set(keys.statement(tenant, "replication-padding"), b"x" * PADDING_BYTES)
            await ingest_until(http, base_url, key, ingest, 5)
            await settle(http, base_url, key, settings)
            master.kill()
            killed_at = time.monotonic()
        finally:
            replica.signal(signal.SIGCONT)
        lost = set(ingest.accepted) - replicated

        # The replica takes over; the clients' next batches get through.
        await ingest_until(http, base_url, key, ingest, 5)
        assert set(ingest.refusals) <= {"503 Retry-After=True"}, ingest.refusals
        resumed_at = min(at for sent, at in ingest.sent_and_accepted if sent > killed_at)
        await until(
            partial(_read_by_pipeline, pipelines_only, tenant),
            within_s=120,
            what="a client sending only pipelines reaching the new master",
        )
        print(
            f"Redis master {master.name} killed: {len(lost)} statements lost from the view, "
            f"{sum(ingest.refusals.values())} answers 503, first batch sent after the kill "
            f"taken {resumed_at - killed_at:.1f} s after it"
        )
        await settle(http, base_url, key, settings)
        assert set(await missing_from_view(redis, tenant, list(ingest.accepted))) == lost

        code, output, _ = await run_lr_status(settings, "verify", "--tenant", tenant)
        assert code == 1
        reported = {
            line.split()[2].rstrip(":") for line in output.splitlines() if "not the view" in line
        }
        assert len(reported) == min(len(lost), 20)  # the first 20 differences are printed
        assert reported <= lost

        (worker,) = [p for p in cluster.processes if p.name == "worker"]
        worker.stop()
        await run_lr(settings, "replay", "--yes", "--tenant", tenant, timeout_s=600)
        worker.start()
        output = await run_lr(settings, "verify", "--tenant", tenant, timeout_s=600)
        assert output.strip().endswith(f"and {len(ingest.accepted)} statements: 0 differences")

        documents = await every_stored(http, base_url, key)
        assert sorted(d["id"] for d in documents) == sorted(ingest.accepted)
        await settle(http, base_url, key, settings)
        compared = await compared_with_reference(http, base_url, key, documents)
        assert compared == 5 * (len(LEARNERS) + 1)

    # The old master comes back as a replica of the new one, for the tests after this one.
    master.start()
    await until(
        lambda: asyncio.to_thread(cluster_ok, master.name),
        within_s=120,
        what="the old master back in the cluster",
    )


@pytest.mark.timeout(3600)  # a bound for a stuck run only: waits follow the work
async def test_a_worker_killed_during_a_50000_statement_replay_leaves_indicators_exact(
    cluster: LocalStack,
) -> None:
    """SIGKILL of one of two workers while they replay 50,000 statements: the survivor takes
    its partitions from their last commits, skips what the dead one had already counted (its
    changelog says so), and every indicator equals the batch reference. The doomed worker
    commits nothing (an hour between commits), so that all it counted is read again whenever
    the kill lands: with its commits every 2.8 s, a kill right after one left nothing to skip."""
    settings = cluster.settings
    base_url = base_url_of(settings)
    now = datetime.now(UTC)
    statements = fun_mooc_statements() + history(seed=50_000, count=28_000, now=now).everything
    assert len(statements) >= 50_000
    key = await issue_key(settings)
    (survivor,) = [p for p in cluster.processes if p.name == "worker"]
    (metrics_port,) = free_ports(1)
    doomed = cluster.start_worker(
        "worker-doomed",
        {
            "LR_WORKER__METRICS_PORT": str(metrics_port),
            "LR_WORKER__COMMIT_INTERVAL_S": "3600",
            "LR_WORKER__COMMIT_EVERY_RECORDS": "100000000",
            "LR_WORKER__REWIND_STALLED_AFTER_S": "7200",
        },
    )
    doomed_metrics = f"http://{settings.worker.metrics_host}:{metrics_port}/metrics"
    indicator_stages = [
        topic.removeprefix(f"{settings.kafka.topic_prefix}.")
        for topic in (settings.kafka.learner_ops_topic, settings.kafka.activity_ops_topic)
    ]
    await owned_by(settings, 2, "two workers sharing the partitions")
    async with aiohttp.ClientSession() as http:
        await produce_many(settings, statements, key.record.tenant)

        async def counted_by_the_doomed() -> float:
            try:
                text = await scrape(http, doomed_metrics)
            except aiohttp.ClientConnectionError:
                return 0.0  # its /metrics is not up yet
            name = "lr_worker_events_processed_total"
            return sum(total(text, name, topic=stage) for stage in indicator_stages)

        # A batch is counted there once its values are in the changelog and in Redis.
        await until(
            counted_by_the_doomed,
            lambda events: events > 0,
            within_s=300,
            what="the doomed worker counting operations",
        )
        log_before_kill = survivor.log_path.stat().st_size
        doomed.kill()
        await owned_by(settings, 1, "the survivor owning every partition")
        await settle(http, base_url, key, settings)

        with survivor.log_path.open("rb") as log:
            log.seek(log_before_kill)
            lines = log.read().decode().splitlines()
        skipped = sum(
            int(line.rsplit("skipped=", 1)[1].split()[0])
            for line in lines
            if "indicator_skips" in line
        )
        assert skipped > 0, "nothing was redelivered to the survivor: the test proved nothing"

        counted = counted_statements(statements)
        compared = await compare_learners_and_activities(
            http, base_url, key, statements, counted, now + timedelta(seconds=1)
        )
        # Again at the time of the FUN-MOOC data (2021), so that its windows are not empty.
        fun_time = max(datetime.fromisoformat(s["timestamp"]) for s in statements[:22_000])
        compared += await compare_learners_and_activities(
            http, base_url, key, statements, counted, fun_time
        )
        assert compared == 2 * 5 * (1452 + 6 + 10 + 5)


@pytest.mark.timeout(1800)  # a bound for a stuck run only: waits follow the work
async def test_two_api_processes_and_two_workers_share_one_state_on_the_cluster(
    cluster: LocalStack,
) -> None:
    """What one API process writes, the other sees, through the Redis Cluster: the statement
    (by id and by query), its conflict with other content, a key's monthly quota, the key's
    revocation; and `lr lag` shows each partition of the statements topic owned by one of two
    workers."""
    settings = cluster.settings
    east, west = api_of_its_own(cluster, "api-east"), api_of_its_own(cluster, "api-west")
    key = await issue_key(settings, statements_per_month=100)
    headers = {"x-api-key": key.header_value, "X-Experience-API-Version": "1.0.3"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for base in (east, west):
            await until(partial(_known, http, base, key), within_s=120, what="key known")

        # Written on one, read, queried and defended on the other.
        statement = make_statement(id=str(uuid.uuid4()), actor=LEARNERS[0])
        async with http.post(f"{east}/statements", json=[statement]) as answer:
            assert answer.status == 200
        params = {"statementId": statement["id"]}
        async with http.get(f"{west}/statements", params=params) as answer:
            assert answer.status == 200
            assert (await answer.json())["id"] == statement["id"]
        query = {"agent": orjson.dumps(LEARNERS[0]).decode(), "limit": "10"}
        async with http.get(f"{west}/statements", params=query) as answer:
            assert [s["id"] for s in (await answer.json())["statements"]] == [statement["id"]]
        other = {**statement, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
        async with http.put(f"{west}/statements", params=params, json=other) as answer:
            assert answer.status == 409
        async with http.put(f"{west}/statements", params=params, json=statement) as answer:
            assert answer.status == 204  # the same content again: nothing to refuse

        # The quota counts across the processes: 1 + 59 on one, then 41 refused whole on the
        # other, 40 taken there, and nothing more anywhere.
        async def post(base: str, count: int) -> tuple[int, dict[str, Any]]:
            batch = [make_statement(id=str(uuid.uuid4()), actor=LEARNERS[1]) for _ in range(count)]
            async with http.post(f"{base}/statements", json=batch) as answer:
                return answer.status, await answer.json()

        assert (await post(east, 59))[0] == 200
        status, body = await post(west, 41)
        assert status == 429
        assert body["error"]["details"] == {"quota": 100, "used": 60, "batch": 41, "plan": "custom"}
        assert (await post(west, 40))[0] == 200
        assert [(await post(base, 1))[0] for base in (east, west)] == [429, 429]

        # Revoked once, refused by both.
        await run_lr(settings, "keys", "revoke", key.record.key_id)
        for base in (east, west):
            await until(partial(_refused, http, base), within_s=120, what=f"{base} refuses")

    # Two workers: every partition of the statements topic has one of them as its owner.
    second = cluster.start_worker("worker-second")
    await owned_by(settings, 2, "two workers sharing the partitions")
    lag = orjson.loads(await run_lr(settings, "lag", "--json"))
    second.stop()
    await owned_by(settings, 1, "one worker again, as the module's other tests expect")
    (group,) = lag["groups"]
    statements_topic = [
        p for p in group["partitions"] if p["topic"] == settings.kafka.statements_topic
    ]
    assert sorted(p["partition"] for p in statements_topic) == list(
        range(settings.kafka.partitions)
    )
    assert len({p["owner"]["member_id"] for p in statements_topic}) == 2


async def _refused(http: aiohttp.ClientSession, base_url: str) -> bool:
    async with http.get(f"{base_url}/statements?limit=1") as answer:
        return answer.status == 401
