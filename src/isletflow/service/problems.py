"""How the service says what went wrong: every error answer is bounded JSON that can be sent.

A 422 lists each problem with its ``location``, ``value`` and ``rule``. The value is the
client's own input shown back, so it is bounded before it is sent (``shown``): nested at most
``MAX_DEPTH`` deep, at most ``MAX_ITEMS`` entries of a list or mapping, text cut at
``MAX_TEXT`` characters, numbers JSON can carry, and text that UTF-8 can encode (a lone
surrogate is shown escaped, as ``\\ud800``). Every other string in an error answer goes through
the same ``text``. So the error path cannot itself fail on what it reports, and no input answers
5xx.

Faults of the store are answered, and logged for the operator with their cause: the database is
unreachable or full (503, try again), damaged (503), or one session's stored log cannot be read
(410: that session is gone for the client; the others work).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DatabaseError, OperationalError

from ..duration import iso_duration
from ..errors import InvalidInput, MissingTool, Problem
from .registry import SessionNotFound, StaleVersion, UnreadableSession

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "MAX_TEXT", "in_body", "install", "shown"]

LOG = logging.getLogger("isletflow.service")

MAX_DEPTH = 4
"""Levels of a problem's value shown; deeper ones are summed up (``[…3 items]``)."""
MAX_ITEMS = 20
"""Entries of a list or mapping shown in a problem's value."""
MAX_TEXT = 200
"""Characters of a string shown in a problem's value; a location may have twice as many, a rule
or a ``detail`` 20 times as many."""
MAX_PROBLEMS = 50
"""Problems listed in one answer; ``detail`` still counts them all."""

_BIG_INT_BITS = 256


def text(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` cut to ``limit`` characters, any lone surrogate written out as ``\\udxxx``."""
    cut = value if len(value) <= limit else value[:limit] + "…"
    try:
        cut.encode("utf-8")
    except UnicodeEncodeError:
        cut = cut.encode("utf-8", "backslashreplace").decode("utf-8")
    return cut


def shown(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON data that can always be encoded, bounded in depth, width and length."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() <= _BIG_INT_BITS:
            return value
        return f"an integer of about {int(value.bit_length() * math.log10(2))} digits"
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return text(value)
    if isinstance(value, Enum):
        return shown(value.value, depth)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return iso_duration(value)
    if isinstance(value, BaseModel):
        return shown(value.model_dump(mode="json"), depth)
    if isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            return f"{{…{len(value)} entries}}"
        items = list(value.items())
        out = {text(str(k)): shown(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            out["…"] = f"{len(items) - MAX_ITEMS} more entries"
        return out
    if isinstance(value, list | tuple | set | frozenset):
        if depth >= MAX_DEPTH:
            return f"[…{len(value)} items]"
        listed = list(value)
        out_list = [shown(v, depth + 1) for v in listed[:MAX_ITEMS]]
        if len(listed) > MAX_ITEMS:
            out_list.append(f"…{len(listed) - MAX_ITEMS} more items")
        return out_list
    return text(_bounded_repr(value))


def _bounded_repr(value: Any) -> str:
    try:
        return repr(value)[: MAX_TEXT + 1]
    except Exception:  # a repr that fails (or overflows) must not fail the answer
        return f"<{type(value).__name__}>"


def _answer(status: int, detail: str, **extra: Any) -> JSONResponse:
    headers = extra.pop("headers", None)
    return JSONResponse({"detail": text(detail, 20 * MAX_TEXT), **extra}, status, headers)


def problems(error: InvalidInput) -> JSONResponse:
    """A 422 listing ``error``'s problems, each value shown bounded (see ``shown``)."""
    listed = [
        {
            "location": text(p.location, 2 * MAX_TEXT),
            "value": shown(p.value),
            "rule": text(p.rule, 20 * MAX_TEXT),
        }
        for p in error.problems[:MAX_PROBLEMS]
    ]
    return _answer(422, str(error), problems=listed)


def in_body(error: InvalidInput, action: str) -> InvalidInput:
    """Say where in the request body each problem is (the engine names the action's fields)."""
    moved = []
    for p in error.problems:
        location = p.location
        if location.startswith(f"{action}."):
            location = "body.data." + location.removeprefix(f"{action}.")
        elif location in ("action", "after", "by", action):
            location = "body.data" if location == action else f"body.{location}"
        moved.append(Problem(location, p.value, p.rule))
    return InvalidInput(error.what, moved)


class _Errors:
    """``RequestValidationError`` in the shape ``InvalidInput.from_pydantic`` reads.

    A body that is not JSON is one problem at ``body``, its rule the parser's reason.
    """

    def __init__(self, error: RequestValidationError) -> None:
        self._error = error

    def errors(self, include_url: bool = False) -> list[Any]:
        found = []
        for item in self._error.errors():
            if item.get("type") == "json_invalid":
                reason = str(item.get("ctx", {}).get("error", "is not JSON"))
                item = {**item, "loc": ("body",), "msg": reason, "input": None}
            found.append(item)
        return found


def install(app: FastAPI) -> None:
    """Answer each error the service raises on purpose, and each fault of the store."""

    @app.exception_handler(InvalidInput)
    def invalid(_request: Request, error: InvalidInput) -> JSONResponse:
        return problems(error)

    @app.exception_handler(RequestValidationError)
    def malformed(_request: Request, error: RequestValidationError) -> JSONResponse:
        return problems(InvalidInput.from_pydantic("request", _Errors(error)))

    @app.exception_handler(StaleVersion)
    def stale(_request: Request, error: StaleVersion) -> JSONResponse:
        return _answer(409, str(error), session=error.current.model_dump(mode="json"))

    @app.exception_handler(MissingTool)
    def missing_tool(_request: Request, error: MissingTool) -> JSONResponse:
        return _answer(501, str(error))

    @app.exception_handler(SessionNotFound)
    def missing(_request: Request, _error: SessionNotFound) -> JSONResponse:
        return _answer(404, "no such session")

    @app.exception_handler(UnreadableSession)
    def unreadable(_request: Request, error: UnreadableSession) -> JSONResponse:
        LOG.warning("%s", error)
        return _answer(410, str(error))

    @app.exception_handler(OperationalError)
    def unavailable(_request: Request, error: OperationalError) -> JSONResponse:
        # Disk full, locked past the timeout, the server gone: the request did nothing; the
        # client may try again, and the operator is told why.
        LOG.warning("the session store is unavailable: %s", _cause(error))
        detail = "the session store is unavailable; try again"
        return _answer(503, detail, headers={"Retry-After": "1"})

    @app.exception_handler(DatabaseError)
    def damaged(_request: Request, error: DatabaseError) -> JSONResponse:
        LOG.error("the session store cannot be read: %s", _cause(error))
        return _answer(503, "the session store cannot be read; the operator has been told")


def _cause(error: DatabaseError) -> str:
    """The database's own words (``database or disk is full``), without the SQL statement."""
    return str(error.orig) if error.orig is not None else type(error).__name__
