"""Learners' data keys on the real broker (docs/privacy.md): a key made by one process is found
by another, an erased one by none, and a master key rotation (`lr privacy rewrap`) leaves every
key readable with the new master key alone."""

from __future__ import annotations

import uuid

from pydantic import SecretStr

from learning_record.cli.stack.local_stack import LocalStack
from learning_record.platform.settings import MasterKey, PrivacySettings, Settings
from learning_record.platform.topics import ensure_topics
from learning_record.store.learner_keys import LearnerKeys
from tests.integration.conftest import isolated_settings
from tests.integration.lr_cli import run_lr

OLD = MasterKey(id="old", secret=SecretStr("the-old-master-secret"))
NEW = MasterKey(id="new", secret=SecretStr("the-new-master-secret"))


def with_masters(settings: Settings, *masters: MasterKey) -> Settings:
    return settings.model_copy(update={"privacy": PrivacySettings(master_keys=list(masters))})


async def started(settings: Settings) -> LearnerKeys:
    keys = LearnerKeys(settings)
    await keys.start()
    return keys


async def test_keys_travel_between_processes_and_survive_a_master_key_rotation(
    stack_settings: Settings, services: LocalStack
) -> None:
    base = isolated_settings(stack_settings, f"keys-{uuid.uuid4().hex[:6]}")
    await ensure_topics(base.kafka)
    tenant, learners = "acme", ["a" * 32, "b" * 32, "c" * 32]

    maker = await started(with_masters(base, OLD))
    try:
        made = await maker.sealing_keys(tenant, learners)
        assert await maker.sealing_keys(tenant, learners) == made  # made once
        assert await maker.erase(tenant, "c" * 32) == 1
    finally:
        await maker.stop()
    refs = [made[learner].ref for learner in learners]

    output = await run_lr(with_masters(base, NEW, OLD), "privacy", "rewrap")
    assert output.strip() == "2 data keys read, 2 wrapped again with master key 'new'"

    reader = await started(with_masters(base, NEW))
    try:
        found = await reader.opening_keys(tenant, refs)
    finally:
        await reader.stop()
    assert found == {made[learner].ref: made[learner] for learner in learners[:2]}
