"""Who is calling: an API key in ``x-api-key``, or HTTP Basic with key id and secret."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from learning_record.api.app_keys import KEY_DIRECTORY
from learning_record.api.cors import check_origin
from learning_record.api.errors import ApiError
from learning_record.api.usage import take_request
from learning_record.domain.access import (
    ApiKeyRecord,
    Scope,
    key_authority,
    key_authority_term,
    secret_matches,
    split_api_key,
)
from learning_record.platform import logs

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="learningrecord", charset="UTF-8"'}


@dataclass(frozen=True, slots=True)
class Principal:
    key: ApiKeyRecord

    @property
    def tenant(self) -> str:
        return self.key.tenant

    def authority(self) -> dict[str, Any]:
        return key_authority(self.key.key_id)

    def authority_term(self) -> str:
        return key_authority_term(self.key.key_id)

    def may(self, scope: Scope) -> bool:
        return self.key.grants(scope)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers=_CHALLENGE)


def _credentials(request: web.Request) -> tuple[str, str]:
    api_key = request.headers.get("x-api-key")
    if api_key is not None:
        parsed = split_api_key(api_key)
        if parsed is None:
            raise _unauthorized("x-api-key must be '<key id>.<secret>'")
        return parsed
    authorization = request.headers.get("Authorization", "")
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise _unauthorized("credentials required: x-api-key header or HTTP Basic")
    try:
        key_id, colon, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise _unauthorized("malformed HTTP Basic credentials") from error
    if not colon or not key_id:
        raise _unauthorized("malformed HTTP Basic credentials")
    return key_id, secret


async def authenticate(request: web.Request, needed: Scope, *alternatives: Scope) -> Principal:
    """The caller's principal, or 401 (no valid credential) / 403 (valid, but none of the
    scopes ``needed`` or ``alternatives``: a view that serves less to a narrower scope, as
    ``statements/read/mine``, names it as an alternative and asks ``Principal.may``)."""
    key_id, secret = _credentials(request)
    record = await request.app[KEY_DIRECTORY].lookup(key_id)
    if record is None or record.revoked or not secret_matches(record, secret):
        raise _unauthorized("invalid or revoked credentials")
    logs.tenant.set(record.tenant)  # on every line logged while serving the request
    check_origin(request, record.tenant)  # a browser page of an origin the tenant allows
    await take_request(request, record)
    accepted = (needed, *alternatives)
    if not any(record.grants(scope) for scope in accepted):
        names = " or ".join(repr(scope.value) for scope in accepted)
        raise ApiError(
            403,
            "forbidden",
            f"this key lacks the scope {names}",
            {"needed": [scope.value for scope in accepted]},
        )
    return Principal(record)
