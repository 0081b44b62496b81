"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from learning_record.api.schemas import ErrorBody, ErrorDetail


class ApiError(Exception):
    """An error the API answers on purpose, with its HTTP status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    shaped = ErrorBody(error=ErrorDetail(code=code, message=message, details=details))
    body = orjson.dumps(shaped.model_dump(mode="json"))
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def bad_request(message: str, details: Any = None) -> ApiError:
    return ApiError(400, "bad_request", message, details)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)
