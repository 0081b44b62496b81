"""The API's contract, served: the OpenAPI document and a reference page that renders it.

The page is our own HTML, script and style sheet, shipped in the package: nothing is fetched
from another host, so it works on a closed network. Neither needs a key.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import orjson
from aiohttp import web

from learning_record.api.errors import not_found
from learning_record.api.openapi import hidden, openapi_document

PAGE_DIR = Path(__file__).parent / "docs_page"
_ASSETS = {"docs.js": "text/javascript", "docs.css": "text/css"}
# Our own files only: no inline script, nothing from elsewhere.
_PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'"

DOCUMENT = web.AppKey("openapi_document", bytes)


def add_docs_routes(app: web.Application, base_path: str) -> None:
    """The document is built once, at startup, when every route is in the router."""

    async def build(app: web.Application) -> None:
        document = openapi_document(app, base_path, _version())
        app[DOCUMENT] = orjson.dumps(document)

    app.on_startup.append(build)
    app.router.add_get(f"{base_path}/openapi.json", openapi_json)
    app.router.add_get(f"{base_path}/docs", docs_page)
    app.router.add_get(f"{base_path}/docs/{{asset}}", docs_asset)


def _version() -> str:
    try:
        return version("learning-record-api")
    except PackageNotFoundError:
        return "0.0.0"


@hidden
async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[DOCUMENT], content_type="application/json")


@hidden
async def docs_page(request: web.Request) -> web.Response:
    return web.Response(
        body=(PAGE_DIR / "index.html").read_bytes(),
        content_type="text/html",
        headers={"Content-Security-Policy": _PAGE_POLICY},
    )


@hidden
async def docs_asset(request: web.Request) -> web.Response:
    name = request.match_info["asset"]
    if name not in _ASSETS:
        raise not_found(f"no asset {name!r}")
    return web.Response(body=(PAGE_DIR / name).read_bytes(), content_type=_ASSETS[name])
