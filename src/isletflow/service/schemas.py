"""What crosses the HTTP boundary: request bodies (validated) and answers (documented).

Each model here is published in the OpenAPI document. Requests forbid unknown fields and bound
every size, so a body that breaks a rule is refused with a 422 naming the field, the value and
the rule before anything reaches a case. A session's state is the training ``View`` itself
(``SessionView`` adds the session's header), and a verdict is the training ``Verdict``: the
HTTP API and the Python API say the same thing with the same fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any, Literal

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .. import workflow as wf
from ..report import describe
from ..timeline import Event
from ..training.rubric import Rubric
from ..training.view import Mode, Verdict, View
from ..wording import Said
from .waits import Wait

__all__ = [
    "ERRORS",
    "TEXT_ERRORS",
    "TOO_LARGE",
    "UNAUTHORIZED",
    "ActRequest",
    "ActResponse",
    "ActionInfo",
    "AdvanceRequest",
    "AdvanceResponse",
    "CreateSession",
    "DiagramView",
    "JSONRoute",
    "JsonInt",
    "ProblemView",
    "ScenarioView",
    "SessionView",
    "StartRequest",
    "TimelineResponse",
    "json_answer",
    "said",
    "strictly",
]

MAX_BODY_DEPTH = 32
"""Levels a request body may nest: a posted scenario nests five; anything deeper is refused."""


def read_json(body: bytes) -> Any:
    """A request body as JSON data; ``json.JSONDecodeError`` saying why not, and nothing else.

    Strict JSON: UTF-8 text, no ``NaN`` or ``Infinity``, at most ``MAX_BODY_DEPTH`` levels, no
    number of more digits than Python reads (4,300). Every refusal becomes one problem at
    ``body`` (a 422), never a parser's own error.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError("must be UTF-8 text", "", error.start) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise json.JSONDecodeError(f"is not JSON: {error.msg}", text, error.pos) from None
    except RecursionError:
        raise _too_deep(text) from None
    except ValueError as error:  # NaN or Infinity, or a number too long to read
        raise json.JSONDecodeError(f"is not strict JSON: {error}", text, 0) from None
    if _deeper_than(MAX_BODY_DEPTH, text, data):
        raise _too_deep(text)
    return data


def _too_deep(text: str) -> json.JSONDecodeError:
    return json.JSONDecodeError(f"must not nest deeper than {MAX_BODY_DEPTH} levels", text, 0)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _deeper_than(limit: int, text: str, data: Any) -> bool:
    if text.count("[") + text.count("{") <= limit:
        return False  # too few brackets to nest that deep: the usual body stops here
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


class _JSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = read_json(await self.body())
        return self._json


class JSONRoute(APIRoute):
    """A route that reads its JSON body with ``read_json``: strict, bounded, never a 5xx."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_JSONRequest(request.scope, request.receive))

        return route


class _Request(BaseModel):
    # Strict: a version is a number, not "1" or true; a string is a string. No lax coercion.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def strictly(model: type[BaseModel]) -> Callable[[Any], Any]:
    """Validate a nested model strictly, as the JSON it came in as (lists for tuples), so a
    request's own strictness reaches inside it: ``false`` or ``"100"`` is no number. A duration
    is the exception: it is documented as text with units, ISO 8601 or seconds, and read so."""

    def validate(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        text = json.dumps(value)
        try:
            return model.model_validate_json(text, strict=True)
        except ValidationError as error:
            confused: list[InitErrorDetails] = [
                # A custom error's type is not one pydantic can raise by name: keep its message.
                {
                    "type": PydanticCustomError(e["type"], e["msg"]),
                    "loc": e["loc"],
                    "input": e["input"],
                }
                for e in error.errors()
                if e["type"] != "time_delta_type"
            ]
            if confused:
                raise ValidationError.from_exception_data(error.title, confused) from None
        return model.model_validate_json(text)  # only durations differed: read them as documented

    return validate


def _whole(value: Any) -> Any:
    """``2.0`` is the integer 2: JSON has one kind of number, and JSON Schema calls it integer."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


JsonInt = Annotated[int, BeforeValidator(_whole)]
"""A strict integer that is also read from an integral JSON number (``2.0``), never from text."""


def _bundled_names(schema: dict[str, Any]) -> None:
    """Document the bundled scenarios' names as the field's values (read when the document is)."""
    from .. import library

    for variant in schema.get("anyOf", [schema]):
        if variant.get("type") == "string":
            variant["enum"] = list(library.names())


class StartRequest(_Request):
    """What a session (a procedure or a course) starts from: a bundled scenario or a posted
    one (give exactly one), the seed, the case's or recipient's index and the mode."""

    scenario: str | None = Field(
        None,
        max_length=64,
        examples=["standard"],
        description="A bundled scenario's name (GET /api/v1/scenarios)",
        json_schema_extra=_bundled_names,  # the route names the valid ones if not
    )
    scenario_spec: dict[str, Any] | None = Field(
        None, description="A scenario in the scenario file format, as JSON (validated)"
    )
    seed: JsonInt | None = Field(
        None, ge=0, le=2**63 - 1, description="Default: the scenario's own seed, else 0"
    )
    index: JsonInt = Field(
        0, ge=0, le=1_000_000, description="Which case (for a course: recipient) of the scenario"
    )
    mode: Mode = Field(
        "guided",
        description="guided: every possible action judged with its reasons; assessment: no "
        "verdict or reason until an action is tried (the debrief reveals everything)",
    )

    @model_validator(mode="after")
    def _one_source(self) -> StartRequest:
        if (self.scenario is None) == (self.scenario_spec is None):
            raise ValueError("give exactly one of 'scenario' or 'scenario_spec'")
        return self


class CreateSession(StartRequest):
    """Start a training session on a bundled scenario or a posted one: give exactly one."""

    rubric: Annotated[Rubric, BeforeValidator(strictly(Rubric))] | None = Field(
        None, description="Overrides of the rubric's weights"
    )


class ActRequest(_Request):
    """Take one action, based on the session version the client last saw."""

    action: str = Field(
        min_length=1,
        max_length=64,
        examples=["start_isolation"],
        json_schema_extra={"enum": [*wf.ACTIONS]},  # the engine names the valid ones if not
    )
    expected_version: JsonInt = Field(ge=0, description="The session's version the client saw")
    after: Wait | None = Field(None, description="Time that passes before the action")
    data: dict[str, Any] = Field(
        default_factory=dict, description="The action's data; see GET /api/v1/actions"
    )


class AdvanceRequest(_Request):
    """Move the session's clock on; deadlines it passes fire."""

    by: Wait
    expected_version: JsonInt = Field(ge=0)


# -- Answers -------------------------------------------------------------------------------


class SessionView(View):
    """A session's state: the training ``View`` and what a client needs to act on it."""

    id: str
    kind: Literal["training"] = Field(description="What the session runs")
    scenario: str | None = Field(
        description="The bundled scenario's name; None if posted or in assessment mode"
    )
    seed: int
    index: int
    version: int = Field(description="Number of events; send it back as expected_version")


class ActResponse(BaseModel):
    """An action's verdict. A refusal is a normal answer: ``accepted`` false, with why."""

    accepted: bool
    action: str
    failures: tuple[Verdict, ...]
    warnings: tuple[Verdict, ...]
    events: list[dict[str, Any]] = Field(description="The events this request added")
    session: SessionView


class AdvanceResponse(BaseModel):
    events: list[dict[str, Any]]
    session: SessionView


def json_answer(model: BaseModel) -> Response:
    """``model`` as a route's JSON answer. The hot routes write their (already validated)
    answer themselves; the route's response_model still documents it, without FastAPI
    validating it a second time."""
    return Response(model.model_dump_json(), media_type="application/json")


def said(events: Sequence[Event]) -> list[Said]:
    """Each event as the debrief says it (``report.describe``, in the table's words)."""
    return [Said(label=label, detail=detail) for label, detail in map(_described, events)]


def _described(event: Event) -> tuple[str, str]:
    return describe(event, words=True)


class TimelineResponse(BaseModel):
    version: int
    events: list[dict[str, Any]]
    said: list[Said] = Field(
        default_factory=list, description="Each event as a trainee reads it, in the same order"
    )


class ScenarioView(BaseModel):
    """A bundled scenario a session can start from."""

    name: str
    title: str
    description: str


class DiagramView(BaseModel):
    """The workflow as data (to draw) and as Mermaid text, with the session's path marked."""

    state: str = Field(description="Where the session stands now")
    states: list[dict[str, Any]] = Field(description="name, phase, visited")
    edges: list[dict[str, Any]] = Field(description="source, target, name, kind, taken")
    mermaid: str


class ActionInfo(BaseModel):
    """An action and the JSON Schema of the data it takes."""

    name: str
    data_schema: dict[str, Any] = Field(description="What the trainee chooses (measured left out)")
    measured: list[str] = Field(description="Fields the lab measures; a client never sends them")


class ProblemView(BaseModel):
    location: str
    value: Any = None
    rule: str


class ProblemsResponse(BaseModel):
    """A 422: every problem with the input, each with the field, the value and the rule."""

    detail: str
    problems: list[ProblemView]


class ConflictResponse(BaseModel):
    """A 409: the action was based on an old version; here is the current state."""

    detail: str
    session: SessionView | None = None


class ErrorResponse(BaseModel):
    """An error said in words (404, 410, 413, 401, 503)."""

    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such session", "model": ErrorResponse},
    409: {"description": "Based on an old version: nothing done", "model": ConflictResponse},
    410: {
        "description": "The session's stored log is damaged and cannot be read; others work",
        "model": ErrorResponse,
    },
    422: {"description": "Malformed input: every problem listed", "model": ProblemsResponse},
    503: {"description": "The session store is unavailable or damaged", "model": ErrorResponse},
}
"""The errors every API route may answer, each as JSON."""

_DETAIL = {"$ref": "#/components/schemas/ErrorResponse"}  # in the document through ERRORS
TEXT_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {
        "description": error["description"],
        "content": {"application/json": {"schema": _DETAIL}},
    }
    for code, error in ERRORS.items()
}
"""``ERRORS`` for a route that answers text: its errors are JSON all the same."""


# 401 and 413 come from the middleware, as JSON, whatever the route answers otherwise.
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "No valid bearer token (the server runs with ISLETFLOW_TOKEN)",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
        "content": {"application/json": {"schema": _DETAIL}},
    },
}
"""What every API route answers without the token, when the server has one."""

TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {
        "description": "The request body is over the size limit (64 KiB by default)",
        "content": {"application/json": {"schema": _DETAIL}},
    },
}
"""What a route that reads a body answers when the body is over ``create_app(body_limit=)``."""
