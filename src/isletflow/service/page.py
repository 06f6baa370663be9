"""The trainer page: three static files, served under a same-origin Content-Security-Policy.

The page is a plain client of the public HTTP API; it loads nothing but its own script and style
and talks only to this origin.
"""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

__all__ = ["router"]

_PAGE_FILES = {
    "trainer.html": "text/html; charset=utf-8",
    "trainer.js": "text/javascript; charset=utf-8",
    "trainer.css": "text/css; charset=utf-8",
}
_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'"
_HEADERS = {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"}


@functools.cache
def _page_file(name: str) -> bytes:
    return (resources.files("isletflow.service") / "static" / name).read_bytes()


def _serve(name: str) -> Response:
    return Response(_page_file(name), media_type=_PAGE_FILES[name], headers=_HEADERS)


def router() -> APIRouter:
    """``/`` and its script and style: not in the OpenAPI document, and open without the token
    (``middleware.OPEN_PATHS``): they hold no data."""
    page = APIRouter(include_in_schema=False)

    @page.get("/")
    def trainer() -> Response:
        return _serve("trainer.html")

    @page.get("/static/trainer.js")
    def script() -> Response:
        return _serve("trainer.js")

    @page.get("/static/trainer.css")
    def style() -> Response:
        return _serve("trainer.css")

    return page
