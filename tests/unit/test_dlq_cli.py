"""`lr dlq` as an operator reads it: its lines and exit codes, with the topic read by a double."""

from collections.abc import Callable

import pytest
from aiokafka.errors import KafkaConnectionError
from typer.testing import CliRunner

from learning_record.cli import dead_letter_admin
from learning_record.cli.dead_letter_admin import Retried
from learning_record.cli.main import cli
from learning_record.domain.dead_letters import DeadLetter, dead_letter_headers
from learning_record.platform.settings import Settings, get_settings


def letter(offset: int, tenant: str, reason: str) -> DeadLetter:
    headers = dead_letter_headers(
        {}, tenant=tenant, reason=reason, source=("lr.statements.raw", 1, 30 + offset)
    )
    return DeadLetter(
        offset=offset, timestamp_ms=1_795_000_000_000, key=None, value=b"{}", headers=headers
    )


LETTERS = [letter(4, "acme", "empty record"), letter(5, "globex", "mail ada@example.org")]


@pytest.fixture
def topic(monkeypatch: pytest.MonkeyPatch) -> None:
    async def dead_letters(
        settings: Settings, offsets: range | None, last: int
    ) -> list[DeadLetter]:
        return [d for d in LETTERS if offsets is None or d.offset in offsets]

    async def retry(settings: Settings, offsets: range, done: Callable[[Retried], None]) -> None:
        done(Retried(4, "lr.statements.raw"))
        done(Retried(5, None, "it came from lr.learner-ops; only the statement topics are retried"))

    monkeypatch.setattr(dead_letter_admin, "dead_letters", dead_letters)
    monkeypatch.setattr(dead_letter_admin, "retry", retry)


@pytest.mark.usefixtures("topic")
def test_list_prints_one_line_per_dead_letter_for_the_tenant_asked() -> None:
    result = CliRunner().invoke(cli, ["dlq", "list", "--tenant", "globex"])
    assert (result.exit_code, result.stdout) == (
        0,
        "5  2026-11-18T11:06:40+00:00  lr.statements.raw[1/35]  globex  -  mail [email]\n"
        "1 dead letter(s)\n",
    )


@pytest.mark.usefixtures("topic")
def test_show_of_an_offset_without_a_dead_letter_exits_1() -> None:
    result = CliRunner().invoke(cli, ["dlq", "show", "6"])
    assert (result.exit_code, result.stderr) == (1, "no dead letter at offset 6\n")


@pytest.mark.usefixtures("topic")
def test_retry_says_what_was_sent_and_exits_1_for_the_rest() -> None:
    result = CliRunner().invoke(cli, ["dlq", "retry", "4-7"])
    assert result.exit_code == 1
    assert result.stdout == "offset 4: sent again to lr.statements.raw\n1 of 4 sent again\n"
    assert result.stderr == (
        "offset 5: not sent, it came from lr.learner-ops; only the statement topics are retried\n"
        "no dead letter at 6-7\n"
    )


def test_a_broker_that_fails_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    async def unreachable(settings: Settings, offsets: range | None, last: int) -> None:
        raise KafkaConnectionError("Unable to bootstrap")

    monkeypatch.setattr(dead_letter_admin, "dead_letters", unreachable)
    monkeypatch.setenv("LR_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:1")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["dlq", "show", "3"])
    finally:
        get_settings.cache_clear()
    assert (result.exit_code, result.stderr) == (
        1,
        "Kafka at 127.0.0.1:1 failed: KafkaConnectionError('Unable to bootstrap')\n",
    )
