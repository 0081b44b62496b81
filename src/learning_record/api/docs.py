"""The API's contract, served: the OpenAPI document and a reference page that renders it.

The page is our own HTML, script and style sheet, shipped in the package: nothing is fetched
from another host, so it works on a closed network. Neither needs a key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import orjson
from aiohttp import web

from learning_record.api.errors import not_found
from learning_record.api.openapi import hidden, openapi_document

PAGE_DIR = Path(__file__).parent / "docs_page"
_ASSETS = {"docs.js": "text/javascript", "docs.css": "text/css"}

DOCUMENT = web.AppKey("openapi_document", bytes)


def build_document(base_path: str) -> Callable[[web.Application], Awaitable[None]]:
    """A startup hook of the root app: the document is built once, when every route is in."""

    async def build(app: web.Application) -> None:
        app[DOCUMENT] = orjson.dumps(openapi_document(app, base_path, _version()))

    return build


def _version() -> str:
    try:
        return version("learning-record-api")
    except PackageNotFoundError:
        return "0.0.0"


@hidden
async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.config_dict[DOCUMENT], content_type="application/json")


@hidden
async def docs_page(request: web.Request) -> web.Response:
    return web.Response(
        body=(PAGE_DIR / "index.html").read_bytes(),
        content_type="text/html",
    )


@hidden
async def docs_asset(request: web.Request) -> web.Response:
    name = request.match_info["asset"]
    if name not in _ASSETS:
        raise not_found(f"no asset {name!r}")
    return web.Response(body=(PAGE_DIR / name).read_bytes(), content_type=_ASSETS[name])
