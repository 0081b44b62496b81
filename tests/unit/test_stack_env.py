"""The environment `lr dev` and the tests give the worker and the API: the settings as they are."""

from __future__ import annotations

import orjson
import pytest
from pydantic import SecretStr

from learning_record.cli.stack.local_stack import settings_env
from learning_record.platform.settings import (
    IngestSettings,
    MasterKey,
    PrivacySettings,
    Settings,
)


def test_a_child_process_gets_the_signing_key_itself_not_its_mask() -> None:
    settings = Settings(ingest=IngestSettings(signing_key=SecretStr("our-own-secret")))

    env = settings_env(settings)

    assert env["LR_INGEST__SIGNING_KEY"] == "our-own-secret"
    assert env["LR_INGEST__MAX_DIRECT_RECORD_BYTES"] == str(10 * 1024 * 1024)


def test_a_child_process_gets_every_master_key_itself_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    masters = [
        MasterKey(id="2027", secret=SecretStr("newest-secret")),
        MasterKey(id="2026", secret=SecretStr("older-secret")),
    ]
    settings = Settings(privacy=PrivacySettings(master_keys=masters))

    env = settings_env(settings)

    assert orjson.loads(env["LR_PRIVACY__MASTER_KEYS"]) == [
        {"id": "2027", "secret": "newest-secret"},
        {"id": "2026", "secret": "older-secret"},
    ]
    monkeypatch.setenv("LR_PRIVACY__MASTER_KEYS", env["LR_PRIVACY__MASTER_KEYS"])
    child = Settings()
    assert [key.secret.get_secret_value() for key in child.privacy.master_keys] == [
        "newest-secret",
        "older-secret",
    ]
