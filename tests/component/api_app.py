"""The API app over the real ``redis-server`` of the component tests, with doubles for Kafka:
HTTP behaviour tested in seconds, through aiohttp's test server (a real socket, no broker)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from learning_record.api.app import BASE_PATH, create_app
from learning_record.api.app_keys import (
    CONSISTENCY,
    INDICATOR_CONSISTENCY,
    INTAKE,
    KEY_DIRECTORY,
    OPS,
    REDIS,
    SETTINGS,
    redis_pool,
)
from learning_record.api.consistency import ConsistencyClock
from learning_record.domain.data_keys import pseudonymiser
from learning_record.ops.monitor import OpsMonitor
from learning_record.platform.settings import (
    ApiSettings,
    ProcessSettings,
    RedisSettings,
    Settings,
)
from learning_record.services.ingest import StatementIntake
from tests.component.doubles import CaughtUp, RecordingAttachments, RecordingLog, StaticKeys


@dataclass
class KafkaDoubles:
    keys: StaticKeys = field(default_factory=StaticKeys)
    statements: RecordingLog = field(default_factory=RecordingLog)
    attachments: RecordingAttachments = field(default_factory=RecordingAttachments)

    async def resource(self, app: web.Application) -> AsyncIterator[None]:
        """What ``api.app_keys`` opens on Kafka, as doubles (after the real Redis pool)."""
        pseudonym_key = app[SETTINGS].process.pseudonym_key.get_secret_value()
        app[INTAKE] = StatementIntake(
            app[REDIS], self.statements, self.attachments, partial(pseudonymiser, pseudonym_key)
        )
        app[KEY_DIRECTORY] = self.keys
        app[CONSISTENCY] = ConsistencyClock(CaughtUp())
        app[INDICATOR_CONSISTENCY] = ConsistencyClock(CaughtUp())
        async with aiohttp.ClientSession() as http:
            # No heartbeats here: the summary reads this process's own registry only.
            own_metrics = "http://127.0.0.1:9/metrics"
            app[OPS] = OpsMonitor(app[SETTINGS], app[REDIS], CaughtUp(), http, own_metrics)
            yield


@dataclass
class ApiUnderTest:
    client: TestClient[web.Request, web.Application]
    kafka: KafkaDoubles

    def url(self, path: str) -> str:
        return f"{BASE_PATH}{path}"


async def api_under_test(
    redis_url: str, process: ProcessSettings | None = None, **api_settings: Any
) -> AsyncIterator[ApiUnderTest]:
    # Tests send many requests without a key from one address: keep them under the limit on
    # failed authentications (tests/component/test_failed_auth.py tests that limit).
    api = ApiSettings(check_responses=True, failed_auth_per_s=1000, **api_settings)
    settings = Settings(
        redis=RedisSettings(url=redis_url), api=api, process=process or ProcessSettings()
    )
    kafka = KafkaDoubles()
    app = create_app(settings, resources=(redis_pool, kafka.resource))
    async with TestClient(TestServer(app)) as client:
        yield ApiUnderTest(client, kafka)
