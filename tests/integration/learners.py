"""Learners and their statements over HTTP, as the privacy tests need them
(tests/integration/test_sealed_log.py, test_erasure.py, test_erasure_faults.py)."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

from learning_record.domain.access import IssuedKey

XAPI = "1.0.3"


def person(name: str) -> dict[str, Any]:
    """An Agent whose every identifier (e-mail, display name) is unique to this test run."""
    unique = uuid.uuid4().hex[:12]
    return {"mbox": f"mailto:{name}-{unique}@example.org", "name": f"{name.title()} {unique}"}


def answered(actor: dict[str, Any], activity: str, **extra: Any) -> dict[str, Any]:
    """``actor`` answered on ``activity``; ``extra`` adds or replaces properties."""
    return {
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": activity},
        **extra,
    }


def xapi_headers(key: IssuedKey) -> dict[str, str]:
    return {"x-api-key": key.header_value, "X-Experience-API-Version": XAPI}


async def statements_of(
    http: aiohttp.ClientSession, base_url: str, key: IssuedKey, **params: str
) -> list[dict[str, Any]]:
    """A page of ``GET /statements`` with ``params``."""
    async with http.get(
        f"{base_url}/statements", params=params, headers=xapi_headers(key)
    ) as response:
        assert response.status == 200
        return list((await response.json())["statements"])
