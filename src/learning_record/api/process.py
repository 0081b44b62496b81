"""POST /process and /process/batch: convert a trace of any supported format to xAPI, protect
the learner's identity, and say what the DASES profile recommends (docs/process.md).

The work is ``domain.process.process``; it is CPU work (about 0.2 ms an event), so it runs in a
worker thread, and a batch streams its answers, one NDJSON line per item, as each is ready: one
bad item never fails the others, and a large batch never holds the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from learning_record.api.app_keys import SETTINGS
from learning_record.api.endpoint import Call, endpoint
from learning_record.api.errors import ApiError, bad_request
from learning_record.api.openapi import Operation, Reply
from learning_record.domain.access import Scope
from learning_record.domain.data_keys import tenant_secret
from learning_record.domain.errors import first_validation_message
from learning_record.domain.json_input import loads_bounded
from learning_record.domain.process import (
    ConversionFailed,
    InputFormat,
    InputTooLarge,
    MappingInvalid,
    PrivacyMode,
    ProcessingError,
    ProcessResult,
    UndetectableInput,
    load_mapping,
    process,
)

NDJSON = "application/x-ndjson"


class ProcessRequest(BaseModel):
    """One trace to process; ``mapping`` is the YAML mapping of a ``custom`` record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: JsonValue
    input_format: InputFormat | None = None
    privacy: PrivacyMode | None = None  # the tenant's mode (LR_PROCESS__TENANT_PRIVACY) if absent
    mapping: str | None = None


@endpoint(
    POST=Operation(
        summary="Convert one trace to xAPI, pseudonymised, with the profile's recommendations",
        tag="process",
        scopes=(Scope.PROCESS,),
        body={"application/json": ProcessRequest},
        params_in_body=True,
        errors=(400, 413, 415),
        replies={200: Reply("The xAPI trace.", {"application/json": ProcessResult})},
    )
)
async def process_one(call: Call[ProcessRequest]) -> web.Response:
    try:
        result = await _processed(call, call.params)
    except ProcessingError as error:
        raise _api_error(error) from error
    return web.Response(body=_json(result), content_type="application/json")


@endpoint(
    POST=Operation(
        summary="Convert many traces: a JSON array or NDJSON in, one NDJSON line per item out",
        tag="process",
        scopes=(Scope.PROCESS,),
        body={"application/json": list[ProcessRequest], NDJSON: {"type": "string"}},
        errors=(400, 413, 415),
        description="Each line says, for the item at `index`, its result (`ok`: true, and the "
        "fields of POST /process) or its error (`ok`: false, `error` as any error of this API). "
        "One bad item never fails the others.",
        replies={200: Reply("One line per item, in order.", {NDJSON: {"type": "string"}})},
    )
)
async def process_batch(call: Call[None]) -> web.StreamResponse:
    request = call.request
    items = await _batch_items(request)
    response = web.StreamResponse(headers={"Content-Type": NDJSON})
    await response.prepare(request)
    for index, item in enumerate(items):
        await response.write(orjson.dumps({"index": index, **await _line(call, item)}) + b"\n")
    await response.write_eof()
    return response


async def _line(call: Call[Any], item: Any) -> dict[str, Any]:
    try:
        asked = ProcessRequest.model_validate(item)
        result = await _processed(call, asked)
    except ValidationError as error:
        return _error_line(bad_request(first_validation_message(error)))
    except ProcessingError as error:
        return _error_line(_api_error(error))
    return {"ok": True, **result.model_dump(mode="json")}


async def _processed(call: Call[Any], asked: ProcessRequest) -> ProcessResult:
    mapping = load_mapping(asked.mapping) if asked.mapping is not None else None
    master = call.request.config_dict[SETTINGS].process.pseudonym_key.get_secret_value()
    secret = tenant_secret(master, call.caller.tenant)
    return await asyncio.to_thread(
        process,
        asked.data,
        input_format=asked.input_format,
        mode=asked.privacy or _tenant_mode(call),
        tenant_secret=secret,
        mapping=mapping,
    )


def _tenant_mode(call: Call[Any]) -> str:
    modes = call.request.config_dict[SETTINGS].process.tenant_privacy
    return modes.get(call.caller.tenant, PrivacyMode.PSEUDONYMISE)


async def _batch_items(request: web.Request) -> list[Any]:
    body = await request.read()
    if request.content_type == NDJSON:
        items = [loads_bounded(line) for line in body.splitlines() if line.strip()]
    else:
        parsed = loads_bounded(body)
        if not isinstance(parsed, list):
            raise bad_request("a batch is a JSON array of items, or NDJSON")
        items = parsed
    most = request.config_dict[SETTINGS].process.max_batch_items
    if len(items) > most:
        raise ApiError(
            413,
            "too_many_items",
            f"the batch has {len(items)} items, over the limit of {most}: send several",
            {"limit": most, "count": len(items)},
        )
    return items


def _api_error(error: ProcessingError) -> ApiError:
    if isinstance(error, UndetectableInput):
        rejections = [
            {"input_format": r.input_format, "reason": r.reason} for r in error.rejections
        ]
        return ApiError(400, "undetectable_input", str(error), {"rejections": rejections})
    if isinstance(error, ConversionFailed):
        details = {"input_format": error.input_format, "path": error.path, "reason": error.reason}
        return ApiError(400, "conversion_failed", str(error), details)
    if isinstance(error, MappingInvalid):
        return ApiError(400, "invalid_mapping", str(error), {"path": error.path})
    if isinstance(error, InputTooLarge):
        return ApiError(413, "input_too_large", str(error))
    return bad_request(str(error))


def _error_line(error: ApiError) -> dict[str, Any]:
    return {
        "ok": False,
        "error": {"code": error.code, "message": error.message, "details": error.details},
    }


def _json(result: ProcessResult) -> bytes:
    return orjson.dumps(result.model_dump(mode="json"))
