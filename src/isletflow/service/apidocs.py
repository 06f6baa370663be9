"""The API's docs page, ``/docs``: Swagger UI served from an installed package, never a CDN.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, so on a network without the internet (a
hospital's, a training room's) the page stays blank. Here the script, the style sheet and the
icon come from ``swagger-ui-bundle-v2`` (in the ``service`` extra; Swagger UI 5, which reads
OpenAPI 3.1), served by the service itself. ReDoc, which has no such package, is not served.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from ..errors import MissingTool

__all__ = ["router"]

Asset = Literal["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]


def _assets() -> Path:
    try:
        bundle = importlib.import_module("swagger_ui_bundle")
    except ImportError:
        raise MissingTool(
            "the API docs page", "swagger-ui-bundle-v2", "pip install 'isletflow[service]'"
        ) from None
    return Path(bundle.swagger_ui_path)


def router() -> APIRouter:
    """``/docs`` and the three files it loads, all from this service."""
    api = APIRouter(include_in_schema=False)

    @api.get("/docs")
    def docs() -> HTMLResponse:
        _assets()  # say what to install before a page that cannot work
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="isletflow API",
            swagger_js_url="/docs/swagger-ui-bundle.js",
            swagger_css_url="/docs/swagger-ui.css",
            swagger_favicon_url="/docs/favicon-32x32.png",
        )

    @api.get("/docs/{name}")
    def asset(name: Asset) -> FileResponse:
        return FileResponse(_assets() / name)

    return api
