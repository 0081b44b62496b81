"""The environment `lr dev` and the tests give the worker and the API: the settings as they are."""

from __future__ import annotations

from pydantic import SecretStr

from learning_record.cli.stack.local_stack import settings_env
from learning_record.platform.settings import IngestSettings, Settings


def test_a_child_process_gets_the_signing_key_itself_not_its_mask() -> None:
    settings = Settings(ingest=IngestSettings(signing_key=SecretStr("our-own-secret")))

    env = settings_env(settings)

    assert env["LR_INGEST__SIGNING_KEY"] == "our-own-secret"
    assert env["LR_INGEST__MAX_DIRECT_RECORD_BYTES"] == str(10 * 1024 * 1024)
