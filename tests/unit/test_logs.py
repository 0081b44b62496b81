"""Log lines: events with fields through structlog, the request's bound context on every line,
the libraries' std-lib records through the same processors, in JSON or key=value."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import structlog

from learning_record.platform import logs
from learning_record.platform.settings import Settings

TS = re.compile(r"^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z ")


@pytest.fixture
def configured() -> Iterator[None]:
    """Logging as the API sets it up, undone afterwards: it is global."""
    root, kafka = logging.getLogger(), logging.getLogger("aiokafka")
    handlers, level, kafka_handlers = root.handlers[:], root.level, kafka.handlers[:]
    yield
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
    kafka.handlers[:] = kafka_handlers


def configure(log_format: str) -> None:
    logs.configure(Settings(log_format=log_format, log_level="info"), "api")


def json_lines(captured: str) -> list[dict[str, Any]]:
    lines = [orjson.loads(line) for line in captured.splitlines()]
    for line in lines:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", line.pop("ts"))
    return lines


def test_events_carry_their_fields_and_the_bound_request_context(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("json")
    logs.bind_request(request_id="r-1")
    logs.bind_request(tenant="acme")
    logs.get_logger("learning_record.stream.dead_letters").warning(
        "record_dead_lettered", partition=3, reason="id: not a UUID"
    )
    assert json_lines(capsys.readouterr().err) == [
        {
            "event": "record_dead_lettered",
            "partition": 3,
            "reason": "id: not a UUID",
            "level": "warning",
            "logger": "learning_record.stream.dead_letters",
            "component": "api",
            "request_id": "r-1",
            "tenant": "acme",
        }
    ]


def test_library_records_go_through_the_same_processors(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("json")
    logs.bind_request(request_id="r-2")
    logging.getLogger("aiohttp.server").error("Error handling request from %s", "10.0.0.1")
    logging.getLogger("faust.worker").debug("below the level: dropped")
    assert json_lines(capsys.readouterr().err) == [
        {
            "event": "Error handling request from 10.0.0.1",
            "level": "error",
            "logger": "aiohttp.server",
            "component": "api",
            "request_id": "r-2",
        }
    ]


def test_key_value_lines_put_what_a_reader_scans_for_first(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("text")
    logs.bind_request(request_id="r-3", tenant="acme")
    logs.get_logger("learning_record.api.metrics").info(
        "http_request", method="GET", route="/learningrecord/v1/statements", status=404
    )
    line = capsys.readouterr().err.strip()
    assert TS.match(line)
    assert TS.sub("", line) == (
        "level=info logger=learning_record.api.metrics component=api event=http_request "
        "request_id=r-3 tenant=acme method=GET route=/learningrecord/v1/statements status=404"
    )


def test_an_exception_is_logged_with_its_traceback(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("json")
    try:
        raise KeyError("boom")
    except KeyError:
        logs.get_logger("learning_record.api.middlewares").exception("request_failed")
    (line,) = json_lines(capsys.readouterr().err)
    assert line["event"] == "request_failed"
    assert line["level"] == "error"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("KeyError: 'boom'")


async def test_what_a_request_binds_stays_in_its_own_task(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("json")

    async def serve() -> None:  # aiohttp serves each request in a task of its own
        logs.bind_request(request_id="r-4", tenant="acme")

    await asyncio.create_task(serve())
    logs.get_logger("learning_record.api.server").info("api_listening", port=8080)
    (line,) = json_lines(capsys.readouterr().err)
    assert "request_id" not in line
    assert "tenant" not in line
