"""`lr replay --tenant` and `lr verify --tenant` take a tenant name, never a pattern: replay
deletes the view by a SCAN pattern built from it, so `acme*` would reach other tenants."""

import pytest
from typer.testing import CliRunner

from learning_record.cli import replay, verify
from learning_record.cli.main import cli
from learning_record.platform.settings import Settings


@pytest.fixture
def never_run(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The commands' bodies, recording the tenant they were given instead of reaching Redis."""
    given: list[str | None] = []

    async def record(settings: Settings, tenant: str | None = None, *args: object) -> None:
        given.append(tenant)
        raise SystemExit(0)

    monkeypatch.setattr(replay, "replay", record)
    monkeypatch.setattr(verify, "verify", record)
    return given


@pytest.mark.parametrize("command", [["replay", "--yes"], ["verify"]])
@pytest.mark.parametrize("tenant", ["acme*", "a?c", "[ab]cme", "Acme", "acme|globex", ""])
def test_a_tenant_that_is_not_a_name_is_refused_before_anything_runs(
    never_run: list[str | None], command: list[str], tenant: str
) -> None:
    result = CliRunner().invoke(cli, [*command, "--tenant", tenant], env={"COLUMNS": "300"})

    assert result.exit_code == 2
    assert "is not 1-63 lowercase letters, digits, '-' or '_'" in result.output
    assert never_run == []


@pytest.mark.parametrize("command", [["replay", "--yes"], ["verify"]])
def test_a_tenant_name_reaches_the_command(never_run: list[str | None], command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--tenant", "acme-2"])

    assert result.exit_code == 0
    assert never_run == ["acme-2"]
