"""Cross-cutting concerns, one small middleware each: request id and the error shape."""

from __future__ import annotations

import logging
import re
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from learning_record.api.errors import ApiError, error_response
from learning_record.domain.errors import StatementInvalid
from learning_record.platform import logs

log = logging.getLogger(__name__)

REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    # A client's own id is kept when it is a plain token: it is echoed and written to logs.
    asked = request.headers.get("X-Request-Id", "")
    request_id = asked if REQUEST_ID_PATTERN.fullmatch(asked) else uuid.uuid4().hex
    request["request_id"] = request_id
    logs.request_id.set(request_id)  # on every line logged while serving it
    response = await handler(request)
    response.headers["X-Request-Id"] = request_id
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, error.message, error.details, error.headers)
    except StatementInvalid as error:
        return error_response(
            400, "invalid_statement", str(error), {"path": error.path, "reason": error.reason}
        )
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = error.reason.lower().replace(" ", "_")
        headers = {k: v for k, v in error.headers.items() if k in ("Allow", "Retry-After")}
        return error_response(error.status, code, error.reason, headers=headers)
    except Exception:
        # Log the stack trace here, with the request id; the client never sees one.
        log.exception(
            "request_failed request_id=%s path=%s", request.get("request_id"), request.path
        )
        return error_response(500, "internal_error", "internal error; see the server log")
