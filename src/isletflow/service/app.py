"""The HTTP API and the trainer page: routes over ``Registry`` and ``Session``.

A clinical "no" is a normal answer (200, ``accepted: false`` with every failed guard); malformed
input is a 422 that lists each problem's field, value and rule; an action based on an old
version is a 409 with the current state. Nothing here reads pickle or YAML.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.security import HTTPBearer

from .. import library
from .. import workflow as wf
from ..errors import InvalidInput
from ..training.lab import CHOICES
from ..training.rubric import Rubric
from ..wording import Words, table
from . import apidocs, course_routes, page, problems, readouts
from .document import API_PREFIX, API_VERSION, LOCATION, Service, explicit_operation_id, links
from .middleware import (
    CORS_VARIABLE,
    BearerToken,
    BodyLimit,
    Cors,
    HeadAsGet,
    checked_origins,
    checked_token,
)
from .registry import CHECKPOINT_EVERY, DEFAULT_CACHE_BYTES, Registry, checked_interval
from .schemas import (
    ERRORS,
    TEXT_ERRORS,
    TOO_LARGE,
    UNAUTHORIZED,
    ActionInfo,
    ActRequest,
    ActResponse,
    AdvanceRequest,
    AdvanceResponse,
    CreateSession,
    JSONRoute,
    ScenarioView,
    SessionView,
    TimelineResponse,
    json_answer,
    said,
)
from .sessions import Session, SessionHeader, requested_scenario
from .store import SessionStore, shown_url

__all__ = [
    "CACHE_VARIABLE",
    "DB_VARIABLE",
    "TOKEN_VARIABLE",
    "create_app",
    "from_environment",
    "serving_line",
]

DB_VARIABLE = "ISLETFLOW_DB"
TOKEN_VARIABLE = "ISLETFLOW_TOKEN"
CACHE_VARIABLE = "ISLETFLOW_CACHE_MB"

DEFAULT_BODY_LIMIT = 64 * 1024
"""Bytes a request body may have: a case spec or an action's data is a few hundred."""


def create_app(
    db: str,
    *,
    token: str | None = None,
    body_limit: int = DEFAULT_BODY_LIMIT,
    cache_size: int = 256,
    cache_bytes: int | None = None,
    max_events: int = 10_000,
    checkpoint_every: int = CHECKPOINT_EVERY,
    cors_origins: str | Sequence[str] | None = None,
) -> FastAPI:
    """The service over the database at ``db`` (a SQLite path or a database URL).

    ``cors_origins`` are the web origins allowed to call the API from a browser (default:
    ``ISLETFLOW_CORS_ORIGINS``, else none).

    ``cache_bytes`` bounds the memory of the sessions kept loaded (as estimated); unset, it is
    ``ISLETFLOW_CACHE_MB`` megabytes if that is set, else 512 MiB. A session's checkpoint is
    stored every ``checkpoint_every`` events (a load replays fewer events than that).
    """
    token = checked_token(token)
    checkpoint_every = checked_interval(checkpoint_every)  # before the store opens
    origins = checked_origins(
        cors_origins if cors_origins is not None else os.environ.get(CORS_VARIABLE)
    )
    budget = cache_bytes if cache_bytes is not None else _cache_bytes_from_environment()
    registry = Registry(
        SessionStore(db),
        cache_size=cache_size,
        cache_bytes=budget,
        max_events=max_events,
        checkpoint_every=checkpoint_every,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        registry.store.close()  # the writer thread finishes its group; connections close

    app = Service(
        lifespan=lifespan,
        title="isletflow",
        version=API_VERSION,
        description=(
            "Allogeneic islet transplantation as a procedure workflow, over HTTP: training "
            "sessions on scenarios. Start a session, read what is allowed and why not, act "
            "(the lab measures; the trainee only chooses), advance the clock, read the score, "
            "the debrief, xAPI statements, a FHIR bundle and the workflow diagram. Every change "
            "names the version it was based on (`expected_version`)."
        ),
        generate_unique_id_function=explicit_operation_id,
        docs_url=None,  # apidocs serves /docs without a CDN
        redoc_url=None,
    )
    app.state.registry = registry
    app.include_router(_api(registry, secured=token is not None))
    app.include_router(page.router())
    app.include_router(apidocs.router())
    problems.install(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyLimit, limit=body_limit)
    if token is not None:
        app.add_middleware(BearerToken, token=token)
    if origins:
        app.add_middleware(Cors, origins=origins)  # added last: outermost
    return app


def from_environment() -> FastAPI:
    """The app configured by ``ISLETFLOW_DB`` and ``ISLETFLOW_TOKEN``: for server workers.

    Each worker process builds its own app (its own cache); they share the database, whose
    conditional appends keep them from overwriting one another.
    """
    db = os.environ.get(DB_VARIABLE, "isletflow-sessions.sqlite3")
    return create_app(db, token=os.environ.get(TOKEN_VARIABLE))  # "" is refused, not "off"


def _cache_bytes_from_environment() -> int:
    text = os.environ.get(CACHE_VARIABLE)
    if text is None:
        return DEFAULT_CACHE_BYTES
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        rule = "must be a whole number of megabytes, at least 1"
        raise InvalidInput.single("service settings", CACHE_VARIABLE, text, rule)
    return int(text) * 1024 * 1024


def serving_line(host: str, port: int, db: str) -> str:
    """What ``isletflow serve`` says as it starts: where, which store, whether a token is needed.

    Reads ``ISLETFLOW_TOKEN`` as the app will, so a token that could never work (empty, or with
    spaces) is refused here, before anything serves. A database URL's password is not shown.
    """
    token = checked_token(os.environ.get(TOKEN_VARIABLE))
    auth = "on (ISLETFLOW_TOKEN)" if token is not None else "off (ISLETFLOW_TOKEN is not set)"
    store = db if "://" not in db else shown_url(db)
    return (
        f"isletflow serving on http://{host}:{port}/ (sessions in {store}; authentication {auth})"
    )


def _api(registry: Registry, *, secured: bool) -> APIRouter:
    # The scheme is declared so the OpenAPI document says how to authenticate; BearerToken
    # (middleware) does the checking, in front of every route.
    deps = [] if not secured else [_bearer_doc()]
    errors = ERRORS if not secured else {**ERRORS, **UNAUTHORIZED}
    api = APIRouter(prefix=API_PREFIX, responses=errors, dependencies=deps, route_class=JSONRoute)
    _catalogue(api)
    _sessions(api, registry)
    api.include_router(readouts.router(registry))
    api.include_router(course_routes.router(registry))

    @api.get("/health", tags=["service"], operation_id="getHealth")
    def health() -> dict[str, Any]:
        """The service answers and its database is reachable: the stored sessions (procedure
        and course sessions alike), those held in memory and their estimated bytes."""
        sessions, cached = registry.store.count(), registry.cached_count()
        memory = registry.cached_bytes()
        return {"status": "ok", "sessions": sessions, "cached": cached, "cached_bytes": memory}

    return api


def _catalogue(api: APIRouter) -> None:
    """What a session can be made from and what a trainee can do: the same for every session."""

    @api.get("/scenarios", tags=["catalogue"], operation_id="listScenarios")
    def scenarios() -> list[ScenarioView]:
        """The bundled scenarios a session can start from, with what each one shows."""
        return [
            ScenarioView(name=e.name, title=e.title, description=e.description)
            for e in library.entries()
        ]

    @api.get("/words", tags=["catalogue"], operation_id="getWords")
    def words() -> Words:
        """The words a trainee reads for each action, state and field (with its unit)."""
        return table()

    @api.get("/actions", tags=["catalogue"], operation_id="listActions")
    def actions() -> list[ActionInfo]:
        """Every action a trainee takes and the JSON Schema of what they choose for it."""
        return [
            ActionInfo(name=name, data_schema=_data_schema(name), measured=sorted(row.measured))
            for name, row in wf.ACTIONS.items()
        ]


def _sessions(api: APIRouter, registry: Registry) -> None:
    """Making, reading and changing sessions."""

    @api.post(
        "/sessions",
        status_code=201,
        tags=["sessions"],
        operation_id="createSession",
        responses={201: {"links": links(""), "headers": LOCATION}, **TOO_LARGE},
    )
    def create_session(body: CreateSession, request: Request, response: Response) -> SessionView:
        """Start a training session on a scenario; its id is unguessable.

        A posted scenario is validated first: a 422 lists each of its problems. The answer's
        ``Location`` is the new session's URL.
        """
        name, scenario = requested_scenario(body.scenario, body.scenario_spec)
        seed = scenario.seed_for(body.seed)
        data = scenario.model_dump(mode="json", exclude_unset=True)
        header = SessionHeader(
            scenario_name=name,
            scenario=data,
            seed=seed,
            index=body.index,
            mode=body.mode,
            rubric=body.rubric or Rubric(),
        )
        view = registry.create(header)
        response.headers["Location"] = request.url_for("read_session", session_id=view.id).path
        return view

    @api.get(
        "/sessions/{session_id}",
        tags=["sessions"],
        operation_id="getSession",
        response_model=SessionView,
    )
    def read_session(session_id: str) -> Response:
        """State, allowed actions with the reasons for refusals, deadlines, the record."""
        return json_answer(registry.read(session_id, Session.view))

    @api.post(
        "/sessions/{session_id}/act",
        tags=["sessions"],
        operation_id="takeAction",
        response_model=ActResponse,
        responses={200: {"links": links("/session")}, **TOO_LARGE},
    )
    def act(session_id: str, body: ActRequest) -> Response:
        """Take an action. A refusal is a 200 with ``accepted: false`` and every failed guard."""
        try:
            step, view = registry.change(
                session_id,
                body.expected_version,
                lambda s: s.act(body.action, body.after, body.data),
            )
        except InvalidInput as error:
            raise problems.in_body(error, body.action) from None
        answer = ActResponse(
            accepted=step.accepted,
            action=step.action,
            failures=step.failures,
            warnings=step.warnings,
            events=step.events,
            session=view,
        )
        return json_answer(answer)

    @api.post(
        "/sessions/{session_id}/advance",
        tags=["sessions"],
        operation_id="advanceClock",
        response_model=AdvanceResponse,
        responses={200: {"links": links("/session")}, **TOO_LARGE},
    )
    def advance(session_id: str, body: AdvanceRequest) -> Response:
        """Move the clock on; deadlines it passes fire, each at its own time."""
        step, view = registry.change(
            session_id, body.expected_version, lambda s: s.advance(body.by)
        )
        return json_answer(AdvanceResponse(events=step.events, session=view))

    @api.get("/sessions/{session_id}/timeline", tags=["sessions"], operation_id="getTimeline")
    def timeline(session_id: str) -> TimelineResponse:
        """Every event, in order, as JSON (the case's timeline format), and each as a trainee
        reads it (``said``: actions and fields in words, values with units)."""
        version, events, words = registry.read(
            session_id, lambda s: (s.version, s.events_json(), said(s.case.timeline))
        )
        return TimelineResponse(version=version, events=events, said=words)

    @api.get(
        "/sessions/{session_id}/timeline.txt",
        operation_id="getTimelineText",
        tags=["sessions"],
        response_class=PlainTextResponse,
        responses=TEXT_ERRORS,
    )
    def timeline_text(session_id: str) -> str:
        """The timeline as an aligned text table, ending with the outcome."""
        return registry.read(session_id, Session.timeline_text)


def _bearer_doc() -> Any:
    from fastapi import Depends

    return Depends(HTTPBearer(auto_error=False, description="ISLETFLOW_TOKEN, when set"))


@functools.cache
def _data_schema(action: str) -> dict[str, Any]:
    schema: dict[str, Any] = CHOICES[action].model_json_schema()
    return schema
