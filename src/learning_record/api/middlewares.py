"""Cross-cutting concerns, one small middleware each: request id and the error shape."""

from __future__ import annotations

import re
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from learning_record.api.errors import ApiError, error_response
from learning_record.api.metrics import route_of
from learning_record.api.request_context import start_context
from learning_record.domain.documents import (
    DocumentConflict,
    DocumentInvalid,
    DocumentLimitReached,
    PreconditionFailed,
)
from learning_record.domain.errors import DependencyUnavailable, StatementInvalid
from learning_record.domain.json_input import JsonRejected
from learning_record.domain.statement_index import StatementConflict
from learning_record.platform import logs
from learning_record.store.connection import REDIS_UNAVAILABLE

log = logs.get_logger(__name__)

REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
RETRY_AFTER_S = 5  # a dependency that is down: when a client may try again


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    # A client's own id is kept when it is a plain token: it is echoed and written to logs.
    asked = request.headers.get("X-Request-Id", "")
    request_id = asked if REQUEST_ID_PATTERN.fullmatch(asked) else uuid.uuid4().hex
    start_context(request, request_id)  # echoed in X-Request-Id (api.response_headers)
    logs.bind_request(request_id=request_id)  # on every line logged while serving it
    return await handler(request)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, error.message, error.details, error.headers)
    except DependencyUnavailable as error:
        return _unavailable(error.dependency, str(error))
    except REDIS_UNAVAILABLE as error:
        return _unavailable("redis", f"redis is unavailable: {type(error).__name__}")
    except JsonRejected as error:
        return error_response(400, "bad_request", str(error))
    except StatementConflict as error:
        return error_response(409, "conflict", str(error), {"statementId": error.statement_id})
    except StatementInvalid as error:
        return error_response(
            400, "invalid_statement", str(error), {"path": error.path, "reason": error.reason}
        )
    except DocumentInvalid as error:
        return error_response(400, "bad_request", str(error))
    except PreconditionFailed as error:
        return error_response(412, "precondition_failed", str(error))
    except DocumentConflict as error:
        return error_response(409, "conflict", str(error))
    except DocumentLimitReached as error:
        return error_response(409, "document_limit", str(error))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = error.reason.lower().replace(" ", "_")
        headers = {k: v for k, v in error.headers.items() if k in ("Allow", "Retry-After")}
        return error_response(error.status, code, error.reason, headers=headers)
    except Exception:
        # Log the stack trace here, with the request id; the client never sees one.
        log.exception("request_failed", route=route_of(request))
        return error_response(500, "internal_error", "internal error; see the server log")


def _unavailable(dependency: str, message: str) -> web.Response:
    log.warning("dependency_unavailable", dependency=dependency)
    return error_response(
        503,
        f"{dependency}_unavailable",
        f"{message}; retry later",
        {"dependency": dependency},
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
