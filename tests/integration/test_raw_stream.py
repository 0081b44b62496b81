"""The raw input topic on the real stack: records of other formats become stored, counted
statements, the same ones POST /process gives, and what cannot be converted waits in the
dead-letter topic with its reason until an operator sends it again (`lr dlq`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka import ConsumerRecord
from redis.asyncio import Redis

from learning_record.domain.access import IssuedKey
from learning_record.platform.settings import Settings
from learning_record.store.statements import fetch_statement
from tests.integration.conftest import issue_key
from tests.integration.indicator_reads import consistent_through, learner_statement_count
from tests.integration.kafka_io import produce, read_matching
from tests.integration.lr_cli import run_lr, run_lr_status
from tests.waiting import until

DATA = Path(__file__).parents[1] / "data" / "process"
ENVELOPE = (DATA / "caliper-1.2-envelope.json").read_bytes()
SCORM = (DATA / "scorm-2004" / "passed.json").read_bytes()
UNDETECTABLE = b'{"actor": "someone", "object": "something"}'
EXPORT = (DATA / "custom" / "lms-export.csv").read_text()
EXPORT_MAPPING = (DATA / "custom" / "lms-export.yaml").read_text()
REASON = (
    "no input format accepted the input (xapi: the object has no verb (an xAPI statement has "
    "actor, verb, object); caliper: no '@context' naming the Caliper 1.1 or 1.2 context; scorm: "
    "no 'cmi.' data model element; custom: no mapping was given (custom records are read "
    "through one))"
)


async def processed(
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    data: Any,
    mapping: str | None = None,
) -> list[dict[str, Any]]:
    """The statements POST /process makes of ``data``, for the key's tenant."""
    async with http.post(
        f"{base_url}/process",
        json={"data": data, "mapping": mapping},
        headers={"x-api-key": key.header_value},
    ) as response:
        assert response.status == 200, await response.text()
        trace = (await response.json())["output_trace"]
    return trace if isinstance(trace, list) else [trace]


def by_learner(statements: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    learners: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        learners.setdefault(orjson.dumps(statement["actor"]).decode(), []).append(statement)
    return learners


async def counted(
    http: aiohttp.ClientSession,
    base_url: str,
    key: IssuedKey,
    agent: dict[str, Any],
    statements: int,
) -> int:
    """The learner's statement count once it reaches ``statements``."""
    return await until(
        lambda: learner_statement_count(http, base_url, key, agent),
        lambda count: count >= statements,
        within_s=120,
        what="converted statements counted",
    )


async def dead_letters_of(
    settings: Settings, tenant: str, expected: int
) -> list[ConsumerRecord[bytes, bytes]]:
    def wanted(record: ConsumerRecord[bytes, bytes]) -> bool:
        headers = dict(record.headers)
        return (
            headers.get("lr-tenant") == tenant.encode()
            and headers.get("lr-source-topic") == settings.kafka.raw_statements_topic.encode()
        )

    return await read_matching(settings, settings.kafka.dead_letter_topic, wanted, expected)


async def test_raw_records_are_converted_stored_counted_and_the_rest_dead_lettered(
    settings: Settings, redis: Redis, http: aiohttp.ClientSession, base_url: str
) -> None:
    key = await issue_key(settings)
    tenant = key.record.tenant
    caliper = await processed(http, base_url, key, orjson.loads(ENVELOPE))
    scorm = await processed(http, base_url, key, orjson.loads(SCORM))

    await produce(
        settings, [ENVELOPE, SCORM, UNDETECTABLE], tenant, topic=settings.kafka.raw_statements_topic
    )

    produced_by = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    # Once consistent_through passes the raw records' time, their statements are counted, each
    # learner under the pseudonym POST /process gives them: 19 and 1 statements from the
    # envelope, 2 from the SCORM report (completed, passed).
    await until(
        lambda: consistent_through(http, base_url, key),
        lambda through: through >= produced_by,
        within_s=120,
        what="raw records converted and counted",
    )
    expected = {**by_learner(caliper), **by_learner(scorm)}
    counts = [
        await learner_statement_count(http, base_url, key, orjson.loads(actor))
        for actor in expected
    ]
    assert counts == [len(statements) for statements in expected.values()]
    assert sorted(counts) == [1, 2, 19]
    # A stored statement is the one POST /process made, with what the store adds.
    stored = orjson.loads(await fetch_statement(redis, tenant, caliper[0]["id"]) or b"null")
    assert {name: stored[name] for name in caliper[0]} == caliper[0]

    (dead,) = await dead_letters_of(settings, tenant, expected=1)
    headers = dict(dead.headers)
    assert dead.value == UNDETECTABLE
    assert headers["lr-dlq-reason"].decode() == REASON
    assert headers["lr-dlq-input-format"] == b"xapi,caliper,scorm,custom"

    listed = orjson.loads(await run_lr(settings, "dlq", "list", "--tenant", tenant, "--json"))
    assert [(row["offset"], row["reason"], row["input_formats"]) for row in listed] == [
        (dead.offset, REASON, ["xapi", "caliper", "scorm", "custom"])
    ]
    shown = orjson.loads(await run_lr(settings, "dlq", "show", str(dead.offset), "--json"))
    assert shown["value"] == UNDETECTABLE.decode()

    output = await run_lr(settings, "dlq", "retry", str(dead.offset))
    assert output == (
        f"offset {dead.offset}: sent again to {settings.kafka.raw_statements_topic}\n"
        "1 of 1 sent again\n"
    )
    first, again = await dead_letters_of(settings, tenant, expected=2)
    assert first.offset == dead.offset
    assert again.value == UNDETECTABLE
    assert dict(again.headers)["lr-dlq-reason"].decode() == REASON


async def test_a_record_read_through_a_missing_mapping_is_stored_once_it_is_there_and_retried(
    settings: Settings, http: aiohttp.ClientSession, base_url: str
) -> None:
    key = await issue_key(settings)
    tenant = key.record.tenant
    name = f"export-{tenant}"
    mapping_file = settings.process.mappings_dir / f"{name}.yaml"
    raw = settings.kafka.raw_statements_topic

    await produce(
        settings, [EXPORT.encode()], tenant, topic=raw, headers={"lr-mapping": name.encode()}
    )

    (dead,) = await dead_letters_of(settings, tenant, expected=1)
    headers = dict(dead.headers)
    assert (
        headers["lr-dlq-reason"].decode() == f"no mapping {name!r} ({mapping_file} does not exist)"
    )
    assert headers["lr-dlq-input-format"] == b"custom"
    assert headers["lr-mapping"] == name.encode()

    mapping_file.parent.mkdir(parents=True, exist_ok=True)
    mapping_file.write_text(EXPORT_MAPPING)
    await run_lr(settings, "dlq", "retry", str(dead.offset))

    # Two rows for each of the export's two learners, as POST /process reads them.
    expected = by_learner(await processed(http, base_url, key, EXPORT, EXPORT_MAPPING))
    assert sorted(len(statements) for statements in expected.values()) == [2, 2]
    for actor, statements in expected.items():
        count = await counted(http, base_url, key, orjson.loads(actor), len(statements))
        assert count == len(statements)


async def test_retrying_offsets_that_hold_no_dead_letter_fails(settings: Settings) -> None:
    code, stdout, stderr = await run_lr_status(settings, "dlq", "retry", "900000-900002")
    assert (code, stdout) == (1, "0 of 3 sent again\n")
    assert stderr == "no dead letter at 900000-900002\n"
    code, _, stderr = await run_lr_status(settings, "dlq", "retry", "3-1")
    assert code == 2
    assert "'3-1': offsets are 0 or more, the range's first one first" in stderr
