"""Who is calling: an API key in ``x-api-key``, or HTTP Basic with key id and secret."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from learning_record.api.app_keys import FAILED_AUTH, KEY_DIRECTORY
from learning_record.api.errors import ApiError
from learning_record.domain.access import (
    ApiKeyRecord,
    Scope,
    key_authority,
    key_authority_filter,
    secret_matches,
    split_api_key,
)
from learning_record.domain.statement_index import AgentFilter

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="learningrecord", charset="UTF-8"'}


@dataclass(frozen=True, slots=True)
class Principal:
    key: ApiKeyRecord

    @property
    def tenant(self) -> str:
        return self.key.tenant

    def authority(self) -> dict[str, Any]:
        return key_authority(self.key.key_id)

    def authority_filter(self) -> AgentFilter:
        return key_authority_filter(self.key.key_id)

    def may(self, scope: Scope) -> bool:
        return self.key.grants(scope)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers=_CHALLENGE)


def _credentials(request: web.Request) -> tuple[str, str]:
    api_key = request.headers.get("x-api-key")
    if api_key is not None:
        parsed = split_api_key(api_key)
        if parsed is None:
            raise unauthorized("x-api-key must be '<key id>.<secret>'")
        return parsed
    authorization = request.headers.get("Authorization", "")
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise unauthorized("credentials required: x-api-key header or HTTP Basic")
    try:
        key_id, colon, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise unauthorized("malformed HTTP Basic credentials") from error
    if not colon or not key_id:
        raise unauthorized("malformed HTTP Basic credentials")
    return key_id, secret


async def identify(request: web.Request) -> ApiKeyRecord:
    """The key the request's credentials name, or 401: the first step of every operation with
    scopes (``api.endpoint``), before anything else of the request is read."""
    address = request.remote or "unknown"
    failures = request.config_dict[FAILED_AUTH]
    failures.check(address)
    try:
        key_id, secret = _credentials(request)
        record = await request.config_dict[KEY_DIRECTORY].lookup(key_id)
        if record is None or record.revoked or not secret_matches(record, secret):
            raise unauthorized("invalid or revoked credentials")
    except ApiError:
        await failures.charge(address)  # 429 instead, once the address passes its limit
        raise
    return record


def has_credentials(request: web.Request) -> bool:
    return "x-api-key" in request.headers or "Authorization" in request.headers


def require(principal: Principal, scopes: tuple[Scope, ...]) -> None:
    """403 unless the key has one of ``scopes``. An action that serves less to a narrower scope
    (``statements/read/mine``) lists it too, and asks ``Principal.may``."""
    if not any(principal.may(scope) for scope in scopes):
        names = " or ".join(repr(scope.value) for scope in scopes)
        raise ApiError(
            403,
            "forbidden",
            f"this key lacks the scope {names}",
            {"needed": [scope.value for scope in scopes]},
        )
