"""The OpenAPI document is generated from the routes and their models (api.openapi)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from pydantic import ValidationError

from learning_record.api.app import BASE_PATH, create_app
from learning_record.api.openapi import openapi_document
from learning_record.api.statements import PutParameters
from learning_record.domain.statement_query import StatementParameters
from learning_record.platform.settings import ApiSettings, Settings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(create_app(Settings()), BASE_PATH, "test")


def test_query_parameters_are_the_models_wire_names(document: dict[str, Any]) -> None:
    get = document["paths"][f"{BASE_PATH}/statements"]["get"]
    query = {p["name"]: p for p in get["parameters"] if p["in"] == "query"}
    aliases = {f.alias or name for name, f in StatementParameters.model_fields.items()}
    assert set(query) == aliases
    # As sent, not as parsed: since is a timestamp text, agent JSON text, cursor a token.
    assert query["since"]["schema"] == {"type": "string", "format": "date-time"}
    assert query["agent"]["schema"]["contentMediaType"] == "application/json"
    assert query["limit"]["schema"] == {"type": "integer", "minimum": 0, "default": 0}
    assert not any(p["required"] for p in query.values())


def test_every_error_answer_is_the_one_error_shape(document: dict[str, Any]) -> None:
    post = document["paths"][f"{BASE_PATH}/statements"]["post"]
    assert set(post["responses"]) == {"200", "400", "401", "403", "409", "413", "414", "429"}
    for status, response in post["responses"].items():
        if status != "200":
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}
        assert response["headers"]["X-Request-Id"]["required"] is True
        if status != "414":  # refused by the root app before the xAPI sub-app stamps it
            assert response["headers"]["X-Experience-API-Version"]["required"] is True
    assert "X-Experience-API-Version" not in post["responses"]["414"]["headers"]
    assert post["x-scopes"] == ["statements/write"]


def test_the_document_resources_are_documented_with_their_concurrency_answers(
    document: dict[str, Any],
) -> None:
    state = document["paths"][f"{BASE_PATH}/activities/state"]
    profile = document["paths"][f"{BASE_PATH}/agents/profile"]

    assert set(state) == {"get", "put", "post", "delete"}
    assert state["get"]["x-scopes"] == ["state", "all/read"]
    assert state["get"]["responses"]["200"]["headers"]["ETag"]["required"] is True
    assert {p["name"] for p in state["get"]["parameters"] if p["in"] == "query"} == {
        "activityId",
        "agent",
        "registration",
        "stateId",
        "since",
    }
    common = {"204", "400", "401", "403", "412", "413", "414", "429"}
    assert set(state["put"]["responses"]) == common  # State needs no header: no 409
    assert set(profile["put"]["responses"]) == common | {"409"}
    assert profile["put"]["x-scopes"] == ["profile"]
    assert document["paths"][f"{BASE_PATH}/agents"]["get"]["x-scopes"] == [
        "statements/read",
        "all/read",
    ]
    assert "get" in document["paths"][f"{BASE_PATH}/activities"]


def test_public_operations_have_no_security(document: dict[str, Any]) -> None:
    assert document["paths"][f"{BASE_PATH}/about"]["get"]["security"] == []
    assert document["paths"][f"{BASE_PATH}/health"]["get"]["security"] == []


def test_path_parameters_carry_the_routers_pattern() -> None:
    async def view(request: web.Request) -> web.Response:
        """Something by id."""
        return web.Response()

    app = web.Application()
    app.router.add_get(f"{BASE_PATH}/things/{{thing_id:[0-9a-f]{{4}}(-[0-9]+)?}}/parts", view)

    operation = openapi_document(app, BASE_PATH, "test")["paths"][
        f"{BASE_PATH}/things/{{thing_id}}/parts"
    ]["get"]

    (thing_id,) = [p for p in operation["parameters"] if p["in"] == "path"]
    assert thing_id["schema"] == {"type": "string", "pattern": "^[0-9a-f]{4}(-[0-9]+)?$"}
    assert operation["summary"] == "Something by id."
    assert operation["x-undocumented"] is True


def test_put_parameters_model_takes_only_a_uuid_statement_id() -> None:
    assert PutParameters.model_validate(
        {"statementId": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}
    ).statement_id == ("fd41c918-b88b-4b20-a0a5-a4c32391aaa0")
    with pytest.raises(ValidationError):
        PutParameters.model_validate({"statementId": "not-a-uuid"})


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"tls_cert": "cert.pem"}, "go together"),
        ({"http_redirect_port": 8081}, "needs TLS on"),
    ],
)
def test_tls_settings_are_checked_together(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ApiSettings.model_validate(given)
