"""schemathesis against the live API, from the OpenAPI document it serves: for every operation,
at least 25 generated requests, no 5xx, and every answer conforming to the document (status,
content type, headers, body schema)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from learning_record.api.app import BASE_PATH, create_app
from learning_record.api.openapi import openapi_document
from learning_record.domain.access import Scope
from learning_record.platform.settings import Settings
from tests.integration.conftest import issue_key

EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Requests made per operation, for the last test and the report.
made: Counter[str] = Counter()
statuses: Counter[str] = Counter()


@schemathesis.serializer("multipart/mixed")
def _multipart_as_text(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    """The document describes multipart/mixed bodies as text: send what was generated."""
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value)).encode()


@pytest.fixture(scope="session")
def fuzz_key(settings: Settings) -> str:
    """A key of a tenant of its own, every scope, the unlimited plan."""
    key = asyncio.run(issue_key(settings, (Scope.ALL, Scope.OPS)))
    return key.header_value


@pytest.fixture(scope="session")
def api_schema(base_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


def _cases() -> list[tuple[GenerationMode, str]]:
    """Every operation of the document, known at collection: the same document the API serves
    (test_openapi checks that). Positive cases for all, negative ones (invalid parameters or
    bodies) for those that take any."""
    document = openapi_document(create_app(Settings()), BASE_PATH, "fuzzing")
    cases = []
    for path, item in document["paths"].items():
        if path.endswith("/ready"):
            continue  # readiness answers 503 by design while a worker is down: its contract
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            cases.append((GenerationMode.POSITIVE, label))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((GenerationMode.NEGATIVE, label))
    return cases


CASES = _cases()
OPERATIONS = sorted({label for _, label in CASES})


@pytest.mark.parametrize(("mode", "label"), CASES, ids=[f"{m.value}-{o}" for m, o in CASES])
def test_every_operation_answers_within_its_contract(
    api_schema: schemathesis.BaseSchema,
    fuzz_key: str,
    base_url: str,
    label: str,
    mode: GenerationMode,
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    origin = base_url.split("/learningrecord/", 1)[0]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def requests_within_contract(case: schemathesis.Case[Any]) -> None:
        made[label] += 1
        response = case.call_and_validate(
            base_url=origin, headers={"x-api-key": fuzz_key}, checks=CHECKS
        )
        statuses[f"{label} {response.status_code}"] += 1

    requests_within_contract()


def test_every_operation_got_at_least_25_examples() -> None:
    print(f"\nschemathesis requests per operation: {dict(sorted(made.items()))}")
    print(f"answers by operation and status: {dict(sorted(statuses.items()))}")
    assert set(made) == set(OPERATIONS)
    assert min(made.values()) >= EXAMPLES
