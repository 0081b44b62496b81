"""``lr dev``: the whole stack on this machine, a development key, and a sample request."""

from __future__ import annotations

import asyncio
import json
import shlex
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from learning_record.cli import keys_admin
from learning_record.cli.stack.local_stack import (
    LocalStack,
    client_variables,
    for_local_stack,
    redis_address,
)
from learning_record.cli.stack.processes import wait_until
from learning_record.domain.access import Scope
from learning_record.platform.settings import Settings, get_settings

DEV_TENANT = "dev"


def _dev_key(settings: Settings, data_dir: Path) -> str:
    """The stack's development key: made once, kept in the data dir, unlimited plan."""
    key_file = data_dir / "dev-key.json"
    if key_file.exists():
        return str(json.loads(key_file.read_text())["api_key"])
    issued = asyncio.run(
        keys_admin.create_key(
            settings,
            tenant=DEV_TENANT,
            name="development",
            # The operator's own machine: the dashboard's deployment-wide figures too.
            scopes=(Scope.ALL, Scope.OPS),
            plan="custom",
        )
    )
    key_file.write_text(
        json.dumps({"key_id": issued.record.key_id, "api_key": issued.header_value})
    )
    key_file.chmod(0o600)
    return issued.header_value


def sample_statement() -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:ada@example.org", "name": "Ada"},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {"id": "https://example.org/courses/streams/unit-1", "objectType": "Activity"},
        "result": {"completion": True, "duration": "PT12M30S"},
    }


def sample_curls(base_url: str, api_key: str, statement: dict[str, object]) -> str:
    headers = f"-H 'x-api-key: {api_key}' -H 'X-Experience-API-Version: 1.0.3'"
    body = shlex.quote(json.dumps(statement))
    return (
        f"curl -s {headers} -H 'Content-Type: application/json' \\\n"
        f"     -X POST {base_url}/statements -d {body}\n"
        f"curl -s {headers} '{base_url}/statements?statementId={statement['id']}'"
    )


def _request(url: str, api_key: str, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "x-api-key": api_key,
            "Content-Type": "application/json",
            "X-Experience-API-Version": "1.0.3",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def _check_sample(base_url: str, api_key: str, statement: dict[str, object]) -> None:
    """Run the printed sample once, so that what we print is known to work."""
    ids = json.loads(_request(f"{base_url}/statements", api_key, json.dumps(statement).encode()))
    assert ids == [statement["id"]], ids
    stored = json.loads(_request(f"{base_url}/statements?statementId={statement['id']}", api_key))
    assert stored["id"] == statement["id"], stored


def run_dev_stack(
    settings: Settings,
    wait: Callable[[], None],
    workers: int = 1,
    api_metrics_ports: Sequence[int] = (),
) -> None:
    """``api_metrics_ports``: one API process for each, all sharing the API port; none: one
    API process, its /metrics on the API port."""
    base_url = f"http://{settings.api.host}:{settings.api.port}/learningrecord/v1"
    with LocalStack(settings) as local:
        print(f"[1/4] starting Redis and Kafka (logs in {local.log_dir})", flush=True)
        local.start_services()
        apis = max(1, len(api_metrics_ports))
        print(
            f"[2/4] starting {workers} worker(s) in one group, {apis} API process(es)", flush=True
        )
        for number in range(1, workers + 1):
            local.start_worker("worker" if number == 1 else f"worker-{number}")
        if api_metrics_ports:
            local.start_shared_apis(api_metrics_ports)
        else:
            local.start_api()
        print("[3/4] development key", flush=True)
        api_key = _dev_key(settings, local.data_dir)
        statement = sample_statement()
        print("[4/4] checking the sample request", flush=True)
        wait_until("sample request", lambda: _sample_ok(base_url, api_key, statement), 30)
        print(
            f"\nLearning Record API  {base_url}\n"
            f"Health               {base_url}/health\n"
            f"Ops dashboard        {base_url}/ops/dashboard  (the dev key has scope ops)\n"
            f"Kafka                {settings.kafka.bootstrap_servers}\n"
            f"Redis                {redis_address(settings)}\n"
            f"Logs                 {local.log_dir}\n"
            f"{_other_commands(settings)}"
            f"Dev key (tenant {DEV_TENANT!r}, scopes all, ops)  {api_key}\n\n"
            "Post a statement and read it back:\n\n"
            f"{sample_curls(base_url, api_key, sample_statement())}\n\n"
            "Ctrl-C stops everything.",
            flush=True,
        )
        wait()
        print("stopping...", flush=True)


def _other_commands(settings: Settings) -> str:
    """How another shell's ``lr`` commands (keys, verify, replay) reach this stack."""
    variables = client_variables(settings, for_local_stack(get_settings()))
    if not variables:
        return ""
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in variables.items())
    return f"Other lr commands    export {exports}\n"


def _sample_ok(base_url: str, api_key: str, statement: dict[str, object]) -> bool:
    try:
        _check_sample(base_url, api_key, statement)
    except OSError:
        return False  # the key may take a moment to reach the API's directory
    return True
