"""``lr``: run the stack, the worker and the API, and administer keys."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer

from learning_record.cli import keys_admin
from learning_record.domain.access import Scope
from learning_record.domain.errors import InvalidTenant
from learning_record.domain.tenants import checked_tenant
from learning_record.platform import logs, metrics
from learning_record.platform.settings import Settings, get_settings

T = TypeVar("T")

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
keys_cli = typer.Typer(no_args_is_help=True, help="Issue, rotate, list and revoke API keys.")
cli.add_typer(keys_cli, name="keys")
tenants_cli = typer.Typer(no_args_is_help=True, help="Tenants, as the keys topic knows them.")
cli.add_typer(tenants_cli, name="tenants")
dlq_cli = typer.Typer(
    no_args_is_help=True, help="Records the worker could not process: list, show, send again."
)
cli.add_typer(dlq_cli, name="dlq")
privacy_cli = typer.Typer(no_args_is_help=True, help="Learners' data keys (docs/privacy.md).")
cli.add_typer(privacy_cli, name="privacy")


@cli.command()
def worker() -> None:
    """Run the Faust worker: validate and store statements, keep the indicators."""
    import faust

    # Registers the agents, the heartbeat timer and the worker's /metrics server on the app.
    import learning_record.stream.agents
    import learning_record.stream.heartbeat  # noqa: F401
    from learning_record.platform.topics import ensure_topics
    from learning_record.stream.app import app, settings

    asyncio.run(ensure_topics(settings.kafka))
    settings.worker.data_dir.mkdir(parents=True, exist_ok=True)  # Faust makes only the last level
    logs.configure_structlog(settings, metrics.WORKER)  # Faust configures the std-lib's half
    faust.Worker(
        app,
        loglevel=settings.log_level,
        logging_config=logs.logging_config(settings, metrics.WORKER),
        redirect_stdouts=False,
    ).execute_from_commandline()


@cli.command()
def api() -> None:
    """Serve the HTTP API."""
    from learning_record.api.server import serve

    settings = get_settings()
    logs.configure(settings, metrics.API)
    asyncio.run(serve(settings))


def _stack_settings(
    data_dir: Path | None,
    api_port: int | None,
    kafka_port: int | None,
    redis_port: int | None,
    *,
    cluster: bool = False,
) -> Settings:
    from learning_record.cli.stack.local_stack import as_cluster, for_local_stack

    settings = get_settings()
    if cluster:
        # A cluster's files are not a single broker's: they live apart, unless told otherwise.
        data_dir = data_dir or Path(f"{settings.stack.data_dir}-cluster")
    stack = settings.stack
    kafka = kafka_port or stack.kafka_port
    updates = {
        "data_dir": data_dir or stack.data_dir,
        "kafka_port": kafka,
        "kafka_controller_port": kafka + 1 if kafka_port else stack.kafka_controller_port,
        "redis_port": redis_port or stack.redis_port,
    }
    worker = settings.worker
    settings = settings.model_copy(
        update={
            "stack": stack.model_copy(update=updates),
            "api": settings.api.model_copy(update={"port": api_port or settings.api.port}),
            # A stack of its own keeps its worker's files in its own folder too.
            "worker": worker.model_copy(update={"data_dir": data_dir / "worker"})
            if data_dir
            else worker,
        }
    )
    return for_local_stack(as_cluster(settings) if cluster else settings)


def _tenant_option(tenant: str | None) -> str | None:
    """A tenant given on the command line is a tenant name: ``lr replay`` turns it into a SCAN
    pattern, where ``acme*`` would delete the views of every tenant that starts with acme."""
    if tenant is None:
        return None
    try:
        return checked_tenant(tenant)
    except InvalidTenant as error:
        raise typer.BadParameter(str(error)) from error


DataDir = Annotated[Path | None, typer.Option(help="State and logs of this stack.")]
ApiPort = Annotated[int | None, typer.Option(help="API port.")]
KafkaPort = Annotated[int | None, typer.Option(help="Kafka port (the controller uses the next).")]
RedisPort = Annotated[int | None, typer.Option(help="Redis port.")]
Cluster = Annotated[
    bool,
    typer.Option(
        "--cluster",
        help="Three Kafka nodes (the next ports), topics replicated 3 times, acknowledged by 2, "
        "and (lr dev) two workers and two API processes on the API port (their /metrics on the "
        "API port + 11 and + 12); files in <data dir>-cluster. docs/cluster.md",
    ),
]


def _wait_for_ctrl_c() -> None:
    stop = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop:
            signal.pause()
    except KeyboardInterrupt:
        pass


@cli.command()
def stack(
    data_dir: DataDir = None,
    kafka_port: KafkaPort = None,
    redis_port: RedisPort = None,
    cluster: Cluster = False,
) -> None:
    """Start the broker and Redis only, until Ctrl-C."""
    from learning_record.cli.stack.local_stack import LocalStack, redis_address

    settings = _stack_settings(data_dir, None, kafka_port, redis_port, cluster=cluster)
    with LocalStack(settings) as local:
        typer.echo(f"starting Kafka and Redis; logs in {local.log_dir}")
        local.start_services()
        typer.echo(f"Kafka  {settings.kafka.bootstrap_servers}\nRedis  {redis_address(settings)}")
        typer.echo("Ctrl-C stops both.")
        _wait_for_ctrl_c()


@cli.command()
def dev(
    data_dir: DataDir = None,
    api_port: ApiPort = None,
    kafka_port: KafkaPort = None,
    redis_port: RedisPort = None,
    cluster: Cluster = False,
) -> None:
    """Start broker, Redis, worker and API together, print a sample request, run until Ctrl-C."""
    from learning_record.cli.dev_stack import run_dev_stack
    from learning_record.cli.stack.local_stack import CLUSTER_APIS, CLUSTER_WORKERS

    settings = _stack_settings(data_dir, api_port, kafka_port, redis_port, cluster=cluster)
    if not cluster:
        run_dev_stack(settings, _wait_for_ctrl_c)
        return
    # The API processes share the API port; each serves /metrics on one of the next ports.
    metrics_ports = [settings.api.port + 10 + n for n in range(1, CLUSTER_APIS + 1)]
    run_dev_stack(settings, _wait_for_ctrl_c, CLUSTER_WORKERS, metrics_ports)


@cli.command()
def replay(
    tenant: Annotated[
        str | None,
        typer.Option(help="Rebuild only this tenant's view.", callback=_tenant_option),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask before deleting the view.")
    ] = False,
) -> None:
    """Rebuild the Redis statement view, the documents and the indicator mirror from their
    topics, from scratch (after a Redis loss; stop the workers first)."""
    from learning_record.cli.replay import replay as replay_topic

    scope = f"tenant {tenant!r}" if tenant else "every tenant"
    if not yes:
        typer.confirm(
            f"Delete and rebuild the statement view, documents and indicators of {scope}?",
            abort=True,
        )
    settings = get_settings()
    logs.configure(settings, "cli")  # what the decoder logs, on stderr like the services'
    report = asyncio.run(replay_topic(settings, tenant))
    typer.echo(
        f"replayed {report.records} records: {report.statements} statements of "
        f"{len(report.tenants)} tenant(s) in the view, {report.rejected} records rejected, "
        f"{report.deleted_keys} old keys deleted; {report.documents.documents} documents from "
        f"{report.documents.records} document records, {report.documents.deleted_keys} old "
        f"document keys deleted; {report.indicators.values} indicator values from "
        f"{report.indicators.records} changelog records, {report.indicators.deleted_keys} old "
        f"indicator keys deleted; {report.erasures.erasures} erasure states"
    )
    if report.indicators.missing:
        missing = ", ".join(report.indicators.missing)
        typer.echo(f"indicators left as they were: no changelog topic {missing}", err=True)


@cli.command()
def erase(
    tenant: Annotated[str, typer.Option(help="The learner's tenant.", callback=_tenant_option)],
    agent: Annotated[
        str, typer.Option(help="The learner: an xAPI Agent or identified Group as JSON.")
    ],
    wait: Annotated[
        float | None,
        typer.Option(help="Wait up to this many seconds for the erasure to be done."),
    ] = None,
) -> None:
    """Forget a learner (docs/privacy.md): print the erasure's id, and with --wait its state."""
    from learning_record.cli.erase import erase as ask_erasure
    from learning_record.domain.identity import ifi_of_json

    try:
        ifi = ifi_of_json(agent)
    except ValueError as error:
        raise typer.BadParameter(f"--agent {error}") from error
    settings = get_settings()
    logs.configure(settings, "cli")  # on stderr, like the services'
    record, state = asyncio.run(ask_erasure(settings, tenant, ifi, wait))
    typer.echo(f"erasure {record.id} asked at {record.at}")
    if wait is not None:
        finished = (state or {}).get("finished")
        typer.echo(f"erasure {record.id} " + (f"done at {finished}" if finished else "pending"))
        if not finished:
            raise typer.Exit(1)


@privacy_cli.command("rewrap")
def privacy_rewrap() -> None:
    """Wrap every learner's data key with the first master key (LR_PRIVACY__MASTER_KEYS): run it
    after putting a new master key first, then drop the old one from the settings."""
    from learning_record.store.learner_keys import rewrap

    settings = get_settings()
    read, rewrapped = asyncio.run(rewrap(settings))
    newest = settings.privacy.master_keys[0].id
    typer.echo(f"{read} data keys read, {rewrapped} wrapped again with master key {newest!r}")


@privacy_cli.command("reseal")
def privacy_reseal(
    swap: Annotated[
        bool,
        typer.Option(
            "--swap", help="Replace the statements topic by the resealed copy, then delete it."
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="With --swap: do not ask before deleting the topic.")
    ] = False,
) -> None:
    """Seal the records written in clear to the statements topic before it was sealed, API and
    workers stopped: copy the topic, resealed, to <prefix>.statements.resealing; check the
    report; then --swap puts the copy in the topic's place (docs/privacy.md)."""
    from learning_record.cli import reseal
    from learning_record.cli.topic_copy import CopyRefused

    settings = get_settings()
    logs.configure(settings, "cli")  # what the decoder logs, on stderr like the services'
    source, staging = settings.kafka.statements_topic, reseal.staging_topic(settings.kafka)
    try:
        if not swap:
            report = _with_kafka(reseal.reseal(settings))
            typer.echo(f"read {report.records} records of {source}, copied to {staging}:")
            for how, count in report.counts.items():
                typer.echo(f"  {count} {how.value}")
            typer.echo(f"  {report.statements} statements in the records resealed")
            _echo_ends(report.ends)
            typer.echo("then, still stopped: lr privacy reseal --swap --yes")
            return
        if not yes:
            typer.confirm(f"Delete {source} and put {staging} in its place?", abort=True)
        swapped = _with_kafka(reseal.swap(settings))
    except CopyRefused as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{source} holds the resealed copy: {swapped.records} records; {staging} deleted")
    _echo_ends(swapped.ends)
    if swapped.groups:
        typer.echo(f"  committed offsets kept for: {', '.join(swapped.groups)}")


def _echo_ends(ends: dict[int, int]) -> None:
    for partition, end in sorted(ends.items()):
        typer.echo(f"  partition {partition}: end offset {end}")


@cli.command()
def lag(
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="Refresh in place until Ctrl-C.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 1.0,
) -> None:
    """Consumer lag of the worker's group, per topic-partition, read from the broker."""
    from learning_record.cli.lag_view import show_lag

    with suppress(KeyboardInterrupt):  # the way out of --watch
        asyncio.run(show_lag(get_settings(), as_json=json, watch=watch, interval_s=interval))


@cli.command()
def verify(
    tenant: Annotated[
        str | None, typer.Option(help="Verify only this tenant.", callback=_tenant_option)
    ] = None,
) -> None:
    """Compare live indicators with the batch reference over a replay of the topic, and look up
    every statement of the topic in the statement view."""
    from learning_record.cli.verify import verify as verify_indicators

    report = asyncio.run(verify_indicators(get_settings(), tenant))
    for difference in report.differences[:20]:
        typer.echo(difference)
    typer.echo(
        f"compared {report.compared} indicator sets and {report.statements} statements: "
        f"{len(report.differences)} differences"
    )
    if report.differences:
        raise typer.Exit(1)


def _parse_scopes(scopes: str) -> tuple[Scope, ...]:
    try:
        return tuple(Scope(s.strip()) for s in scopes.split(",") if s.strip())
    except ValueError as error:
        valid = ", ".join(s.value for s in Scope)
        raise typer.BadParameter(f"{error}; valid scopes: {valid}") from error


@keys_cli.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="The organisation's store.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    scopes: Annotated[
        str,
        typer.Option(help="Comma-separated scopes; all is everything of the tenant, never ops."),
    ] = "all",
    plan: Annotated[str, typer.Option(help="Usage plan (basic, pro, ultra, custom).")] = "custom",
    rate: Annotated[
        int | None, typer.Option(help="custom plan: requests per second (default unlimited).")
    ] = None,
    monthly: Annotated[
        int | None, typer.Option(help="custom plan: statements per month (default unlimited).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Create a key and print its secret, once."""
    try:
        issued = asyncio.run(
            keys_admin.create_key(
                get_settings(),
                tenant=tenant,
                name=name,
                scopes=_parse_scopes(scopes),
                plan=plan,
                requests_per_s=rate,
                statements_per_month=monthly,
            )
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    record = issued.record
    if json:
        typer.echo(
            orjson.dumps(
                {
                    "key_id": record.key_id,
                    "secret": issued.secret,
                    "api_key": issued.header_value,
                    "tenant": record.tenant,
                    "scopes": [s.value for s in record.scopes],
                    "plan": record.plan,
                    "requests_per_s": record.requests_per_s,
                    "statements_per_month": record.statements_per_month,
                }
            ).decode()
        )
        return
    typer.echo(f"key id:   {record.key_id}\ntenant:   {record.tenant}\nplan:     {record.plan}")
    typer.echo(f"scopes:   {', '.join(s.value for s in record.scopes)}")
    typer.echo(f"x-api-key: {issued.header_value}")
    typer.echo("The secret is shown only now; store it safely.")


@keys_cli.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    for record in asyncio.run(keys_admin.list_keys(get_settings())).values():
        state = "revoked" if record.revoked else "active"
        scopes = ",".join(s.value for s in record.scopes)
        typer.echo(
            f"{record.key_id}  {record.tenant}  {record.name}  {scopes}  {record.plan}  {state}"
        )


@keys_cli.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key at once, in every API process."""
    if asyncio.run(keys_admin.revoke_key(get_settings(), key_id)) is None:
        typer.echo(f"no key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


@keys_cli.command("rotate")
def keys_rotate(
    key_id: str,
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Give a key a new secret (same id, tenant, scopes and plan); the old one stops at once."""
    try:
        issued = asyncio.run(keys_admin.rotate_key(get_settings(), key_id))
    except keys_admin.KeyNotRotatable as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    if json:
        typer.echo(
            orjson.dumps(
                {
                    "key_id": issued.record.key_id,
                    "secret": issued.secret,
                    "api_key": issued.header_value,
                    "tenant": issued.record.tenant,
                }
            ).decode()
        )
        return
    typer.echo(f"rotated {key_id}\nx-api-key: {issued.header_value}")
    typer.echo("The new secret is shown only now; the old one no longer works.")


@tenants_cli.command("list")
def tenants_list(
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List tenants with their active and revoked key counts."""
    tenants = asyncio.run(keys_admin.list_tenants(get_settings()))
    if json:
        rows = [{"tenant": t.tenant, "active": t.active, "revoked": t.revoked} for t in tenants]
        typer.echo(orjson.dumps(rows).decode())
        return
    for tenant in tenants:
        typer.echo(f"{tenant.tenant}  active={tenant.active}  revoked={tenant.revoked}")


def _offsets(spec: str) -> range:
    from learning_record.domain.dead_letters import offsets_of

    try:
        return offsets_of(spec)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


def _with_kafka(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; a broker that fails it is a one-line error and exit 1, not a traceback."""
    from aiokafka.errors import KafkaError

    try:
        return asyncio.run(work)
    except KafkaError as error:
        servers = get_settings().kafka.bootstrap_servers
        typer.echo(f"Kafka at {servers} failed: {error!r}", err=True)
        raise typer.Exit(1) from error


Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@dlq_cli.command("list")
def dlq_list(
    last: Annotated[int, typer.Option(min=1, help="How many of the latest to read.")] = 50,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's, of those.")] = None,
    json: Json = False,
) -> None:
    """The latest dead letters: offset, time, tenant, source, formats tried, reason.

    Never the record itself (`lr dlq show` prints it); personal data a reason may quote is masked.
    """
    from learning_record.cli.dead_letter_admin import dead_letters, summary

    letters = _with_kafka(dead_letters(get_settings(), None, last))
    rows = [summary(letter) for letter in letters if tenant is None or letter.tenant == tenant]
    if json:
        typer.echo(orjson.dumps(rows).decode())
        return
    for row in rows:
        formats = ",".join(row["input_formats"]) or "-"
        typer.echo(
            f"{row['offset']}  {row['time']}  {row['source']}  {row['tenant']}  {formats}  "
            f"{row['reason']}"
        )
    typer.echo(f"{len(rows)} dead letter(s)")


@dlq_cli.command("show")
def dlq_show(
    offset: Annotated[int, typer.Argument(min=0, help="The dead letter's offset.")],
    json: Json = False,
) -> None:
    """One dead letter in full: its reason, headers, key and the record as it was sent."""
    from learning_record.cli.dead_letter_admin import dead_letters, details

    found = _with_kafka(dead_letters(get_settings(), range(offset, offset + 1), 0))
    if not found:
        typer.echo(f"no dead letter at offset {offset}", err=True)
        raise typer.Exit(1)
    shown = details(found[0])
    if json:
        typer.echo(orjson.dumps(shown).decode())
        return
    for name in ("offset", "time", "tenant", "source", "input_formats", "reason", "key"):
        typer.echo(f"{name}: {shown[name]}")
    for header, value in shown["headers"].items():
        typer.echo(f"header {header}: {value}")
    typer.echo(f"value:\n{shown['value']}")


@dlq_cli.command("retry")
def dlq_retry(
    offsets: Annotated[str, typer.Argument(help="An offset (12) or a range (12-20).")],
) -> None:
    """Send dead letters again to the topic they came from, with their original bytes and
    headers (after fixing a mapping, say). Exit 1 when any offset asked was not sent."""
    from learning_record.cli.dead_letter_admin import Retried, offset_spans, retry

    asked = _offsets(offsets)
    retried: list[Retried] = []

    def report(done: Retried) -> None:
        retried.append(done)
        if done.topic is None:
            typer.echo(f"offset {done.offset}: not sent, {done.refusal}", err=True)
        else:
            typer.echo(f"offset {done.offset}: sent again to {done.topic}")

    _with_kafka(retry(get_settings(), asked, report))
    found = {done.offset for done in retried}
    missing = [offset for offset in asked if offset not in found]
    if missing:
        typer.echo(f"no dead letter at {offset_spans(missing)}", err=True)
    sent = sum(done.topic is not None for done in retried)
    typer.echo(f"{sent} of {len(asked)} sent again")
    if sent < len(asked):
        raise typer.Exit(1)


def main() -> None:
    cli()
