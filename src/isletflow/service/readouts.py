"""The routes that read a session out: score, debrief, xAPI, FHIR and the workflow diagram.

They only read (``Registry.read``), each answering from the session's ``TrainingSession`` or its
case. ``app`` includes them under ``/api/v1`` with the other routes' authentication and errors.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import ValidationError

from .. import workflow as wf
from ..errors import InvalidInput
from ..training.debrief import Debrief
from ..training.scoring import Score
from ..training.session import TrainingSession
from ..training.view import shown_score, withholds
from ..training.xapi import Actor
from .registry import Registry
from .schemas import TEXT_ERRORS, DiagramView
from .sessions import Session

__all__ = ["router"]

_IRL: str = Actor.model_json_schema()["properties"]["home_page"]["pattern"]  # the actor's rule


class FhirResponse(JSONResponse):
    """FHIR's own JSON media type, which FHIR servers and clients expect."""

    media_type = "application/fhir+json"


def _score(training: TrainingSession) -> Score:
    return shown_score(training.score(), training.mode, training.finished)


def _debrief(training: TrainingSession) -> Debrief:
    if withholds(training.mode, training.finished):
        rule = "gives its debrief once the case has ended (complete it, or abort)"
        raise InvalidInput.single("session debrief", "mode", training.mode, rule)
    return training.debrief()


def router(registry: Registry) -> APIRouter:
    """The read-out routes over ``registry``'s sessions."""
    api = APIRouter()

    @api.get("/sessions/{session_id}/score", tags=["training"], operation_id="getScore")
    def session_score(session_id: str) -> Score:
        """The score so far against the expert path, with every deviation and its cost (in an
        assessment still going on, without the deviations' reasons: they wait for the debrief)."""
        return registry.read(session_id, lambda s: _score(s.training))

    @api.get("/sessions/{session_id}/debrief", tags=["training"], operation_id="getDebrief")
    def session_debrief(session_id: str) -> Debrief:
        """The debrief: outcome, score, each deviation explained, the expert's path beside.

        An assessment's debrief is given once its case has ended (422 before)."""
        return registry.read(session_id, lambda s: _debrief(s.training))

    @api.get(
        "/sessions/{session_id}/debrief.txt",
        operation_id="getDebriefText",
        tags=["training"],
        response_class=PlainTextResponse,
        responses=TEXT_ERRORS,
    )
    def session_debrief_text(session_id: str) -> str:
        """The debrief as text (an assessment's once its case has ended)."""
        return registry.read(session_id, lambda s: _debrief(s.training).text())

    @api.get("/sessions/{session_id}/xapi", tags=["training"], operation_id="getXapiStatements")
    def session_xapi(
        session_id: str,
        account: Annotated[str, Query(min_length=1, max_length=200)],
        home_page: Annotated[str, Query(min_length=1, max_length=500, pattern=_IRL)],
        name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    ) -> list[dict[str, Any]]:
        """The session so far as xAPI statements for a learning record store.

        ``account`` is the trainee's stable id on the learning platform ``home_page``; ``name``
        an optional display name. The session is one attempt: one registration, statement ids
        of its own. Statements carry no timestamp (the LRS stamps them as it stores them); the
        case's time is in the ``case-time`` and ``since-cross-clamp`` extensions.
        """
        actor = _actor(account, home_page, name)
        return registry.read(session_id, lambda s: s.training.statements(actor, attempt=s.id))

    @api.get(
        "/sessions/{session_id}/fhir",
        operation_id="getFhirBundle",
        tags=["interop"],
        response_class=FhirResponse,
        responses={501: {"description": "Validation asked for, fhir.resources missing"}},
    )
    def session_fhir(
        session_id: str,
        validate: bool = False,
        kind: Annotated[Literal["transaction", "batch"], Query(alias="type")] = "transaction",
    ) -> dict[str, Any]:
        """The case as a FHIR R4B Bundle (``application/fhir+json``): a transaction of at most
        50 entries, or a ``batch``; ``validate`` parses it with fhir.resources.

        Every id derives from the session (``named_case_id("session", id)``), so two sessions
        on one scenario are two cases, and the session's id itself is in no resource. Building
        the bundle needs nothing extra; validating it needs ``isletflow[fhir]``.
        """
        from ..export.fhir import case_bundle, validate_bundle
        from ..export.identity import named_case_id

        def bundle_of(s: Session) -> dict[str, Any]:
            return case_bundle(
                s.case,
                s.header.seed,
                case_index=s.header.index,
                case_id=named_case_id("session", s.id),
                kind=kind,
                validate=False,
            )

        bundle = registry.read(session_id, bundle_of)
        if validate:
            validate_bundle(bundle)
        return bundle

    @api.get("/sessions/{session_id}/diagram", tags=["training"], operation_id="getDiagram")
    def session_diagram(session_id: str) -> DiagramView:
        """The workflow as data and as Mermaid text, with this session's path highlighted."""
        return registry.read(session_id, _diagram)

    @api.get(
        "/sessions/{session_id}/diagram.mmd",
        operation_id="getDiagramMermaid",
        tags=["training"],
        response_class=PlainTextResponse,
        responses=TEXT_ERRORS,
    )
    def session_diagram_text(session_id: str) -> str:
        """The workflow as a Mermaid state diagram, this session's path highlighted."""
        return registry.read(session_id, lambda s: _diagram(s).mermaid)

    return api


def _actor(account: str, home_page: str, name: str | None) -> Actor:
    try:
        return Actor(account_name=account, home_page=home_page, name=name)
    except ValidationError as error:
        raise InvalidInput.from_pydantic("xAPI actor", error, prefix="query") from None


def _diagram(session: Session) -> DiagramView:
    from ..export import diagram

    path = diagram.case_path(session.case.timeline)
    states = [
        {"name": name, "phase": name.partition(".")[0], "visited": name in path.states}
        for name in wf.STATES
    ]
    edges = [
        {
            "source": e.source,
            "target": e.target,
            "name": e.name,
            "kind": e.kind,
            "taken": e.key in path.transitions,
        }
        for e in diagram.edges()
    ]
    return DiagramView(
        state=session.case.state, states=states, edges=edges, mermaid=diagram.mermaid(path)
    )
