"""The gates every request passes: CORS (for the origins allowed), a bearer token (when one is
set), a body size limit, HEAD.

All are plain ASGI so they sit in front of everything, the OpenAPI document included. Only the
trainer page's own files are open without the token: they hold no data, and the page asks for
the token before it calls the API. CORS sits outermost: a browser's preflight carries no token,
and a 401 or 413 must still reach the web page that asked, to be read.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from ..errors import InvalidInput

__all__ = [
    "CORS_VARIABLE",
    "BearerToken",
    "BodyLimit",
    "Cors",
    "HeadAsGet",
    "checked_origins",
    "checked_token",
]

CORS_VARIABLE = "ISLETFLOW_CORS_ORIGINS"
"""The web origins allowed to call the API from a browser, separated by commas or spaces."""
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)
_METHODS = b"GET, HEAD, POST, OPTIONS"
_HEADERS = frozenset({b"authorization", b"content-type"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/", "/static/trainer.js", "/static/trainer.css"})


async def _reply(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def checked_token(token: str | None, where: str = "ISLETFLOW_TOKEN") -> str | None:
    """``token`` if it can work as a bearer token; ``None`` if none is set.

    An empty token would turn authentication off without a word, and one with spaces at either
    end can never match (HTTP strips them from header values): both are refused.
    """
    if token is None:
        return None
    if not token.strip():
        rule = "must not be empty: unset it to serve without authentication"
        raise InvalidInput.single("service settings", where, token, rule)
    if token != token.strip() or any(c in token for c in " \t\r\n"):
        rule = "must not contain spaces (HTTP strips them, so no request could match)"
        raise InvalidInput.single("service settings", where, token, rule)
    return token


class BearerToken:
    """Refuse (401) any request without ``Authorization: Bearer <token>``.

    The scheme is case-insensitive (RFC 7235); the token is compared in constant time.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = (checked_token(token) or "").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") not in OPEN_PATHS:
            scheme, _, given = (_header(scope, b"authorization") or b"").partition(b" ")
            # Constant time, so the token cannot be found a byte at a time.
            matches = secrets.compare_digest(given, self.expected)
            if not (scheme.lower() == b"bearer" and matches):
                await _reply(
                    send,
                    401,
                    "a valid bearer token is required",
                    [(b"www-authenticate", b"Bearer")],
                )
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse (413) a body over ``limit`` bytes: by its Content-Length, or as it streams in.

    The body (at most ``limit`` bytes) is read here before the app sees it, so an oversize
    stream is answered 413 before any of it is parsed.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"the request body is larger than {self.limit} bytes"
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _reply(send, 413, too_large, [])
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _reply(send, 413, too_large, [])
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for a disconnect, as ASGI says

        await self.app(scope, replay, send)


class HeadAsGet:
    """Answer HEAD as the same GET without its body (RFC 9110): the routes list GET only.

    The status and headers (``content-length`` included) are the GET's; the body is dropped.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def checked_origins(
    origins: str | Iterable[str] | None, where: str = CORS_VARIABLE
) -> tuple[str, ...]:
    """The origins a browser may call the API from: each ``scheme://host[:port]``, exactly as a
    browser sends it (no path, no trailing slash, no ``*``: an allow-list, not a wildcard).
    ``None`` or an empty text allows none."""
    if origins is None:
        return ()
    given = origins.replace(",", " ").split() if isinstance(origins, str) else list(origins)
    for origin in given:
        if not _ORIGIN.fullmatch(origin):
            rule = "must be an origin as a browser sends it, e.g. http://localhost:5173 (no path)"
            raise InvalidInput.single("service settings", where, origin, rule)
    return tuple(dict.fromkeys(given))


class Cors:
    """Cross-origin requests from the allowed ``origins`` only (the Fetch standard's CORS).

    A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from an allowed origin is
    answered here, 204, for the methods the API has and the ``Authorization`` and
    ``Content-Type`` headers; every answer to an allowed origin names it in
    ``Access-Control-Allow-Origin`` and exposes ``Location``. Other origins get no CORS header
    at all, so their browsers withhold the answer; requests without ``Origin`` pass untouched.
    """

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = frozenset(o.encode() for o in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or origin not in self.origins:
            await self.app(scope, receive, send)
            return
        allowed = [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        asked = _header(scope, b"access-control-request-method")
        if scope.get("method") == "OPTIONS" and asked is not None:
            wanted = _header(scope, b"access-control-request-headers") or b""
            headers = {h.strip().lower() for h in wanted.split(b",") if h.strip()}
            preflight = [
                (b"access-control-allow-methods", _METHODS),
                (
                    b"access-control-allow-headers",
                    b", ".join(sorted(_HEADERS | headers & _HEADERS)),
                ),
                (b"access-control-max-age", b"600"),
                (b"content-length", b"0"),
            ]
            await send(
                {"type": "http.response.start", "status": 204, "headers": allowed + preflight}
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                exposed = [(b"access-control-expose-headers", b"Location")]
                message = {**message, "headers": [*message.get("headers", ()), *allowed, *exposed]}
            await send(message)

        await self.app(scope, receive, with_cors)
