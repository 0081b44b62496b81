"""docker-compose.yml and .env.example cannot run here, so check they agree with the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import BaseModel

from learning_record.cli.main import cli
from learning_record.platform.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {f"LR_{name.upper()}__{sub.upper()}" for sub in annotation.model_fields}
        else:
            names.add(f"LR_{name.upper()}")
    return names


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_broker_redis_worker_and_api() -> None:
    assert set(compose()["services"]) == {"kafka", "redis", "worker", "api"}


def test_compose_commands_are_lr_commands() -> None:
    commands = set(typer.main.get_group(cli).commands)
    for service in ("worker", "api"):
        (command,) = compose()["services"][service]["command"]
        assert command in commands


def test_compose_environment_names_only_real_settings() -> None:
    services = compose()["services"]
    for service in ("worker", "api"):
        unknown = set(services[service]["environment"]) - setting_names()
        assert not unknown, f"{service} sets unknown variables {unknown}"


def test_compose_broker_uses_the_same_kafka_version_as_the_pom() -> None:
    pom_version = re.search(
        r"<kafka.version>(.+)</kafka.version>", (REPO / "deploy/kafka/pom.xml").read_text()
    )
    assert pom_version is not None
    assert compose()["services"]["kafka"]["image"] == f"apache/kafka:{pom_version.group(1)}"


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    documented = set(
        re.findall(r"^#?\s*(LR_[A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M)
    )
    assert documented == setting_names()
