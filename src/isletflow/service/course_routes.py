"""The course routes: a recipient's course (``CourseSession``) over HTTP, under ``/courses``.

A course is a session of another kind in the same store and registry (``courses.StoredCourse``),
with the same error answers: a 422 names each problem's field, value and rule, a 409 answers a
change based on an old version with the current state, a 404 an id that is no course (a
procedure session's included: its routes are under ``/sessions``), a 410 a course whose stored
log does not replay. It has a collection of its own because its state is not a procedure's: a
``CourseSessionView`` (stage, the procedure being played, the decision waiting, the recipient's
assessments so far), so each route has one typed answer. Acting and advancing go to the
procedure being played, with the procedure routes' bodies; ``decide`` answers the re-infusion
question. A decision the course's rule bars is a normal answer, as a refused action is: 200,
``accepted: false`` with the refusals, recorded and scored (``barred_reinfusion``), the course
unchanged (still waiting for the decision).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..errors import InvalidInput
from ..timeline import events_to_python
from ..training.course_debrief import CourseDebrief, CourseRubric, CourseScore, Decision
from ..training.view import Verdict, withholds
from ..wording import Said
from . import problems
from .courses import CourseHeader, CourseSessionView, CourseStep, StoredCourse
from .document import LOCATION, course_links
from .registry import Registry
from .schemas import (
    TEXT_ERRORS,
    TOO_LARGE,
    ActRequest,
    AdvanceRequest,
    JsonInt,
    JSONRoute,
    StartRequest,
    json_answer,
    said,
    strictly,
)
from .sessions import requested_scenario

__all__ = ["router"]


class CreateCourse(StartRequest):
    """Start a course session on recipient ``index`` of a bundled or posted scenario."""

    rubric: Annotated[CourseRubric, BeforeValidator(strictly(CourseRubric))] | None = Field(
        None, description="Overrides of the course rubric's weights (procedure and decisions)"
    )


class DecideRequest(BaseModel):
    """The re-infusion decision, based on the course version the client last saw."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    reinfuse: bool = Field(description="true: list the recipient for a further infusion")
    expected_version: JsonInt = Field(ge=0, description="The course's version the client saw")


class CourseActResponse(BaseModel):
    """An action's verdict in the procedure being played, and the course after it."""

    accepted: bool
    action: str
    failures: tuple[Verdict, ...]
    warnings: tuple[Verdict, ...]
    events: list[dict[str, Any]] = Field(description="The events the procedure's case gained")
    session: CourseSessionView


class CourseAdvanceResponse(BaseModel):
    events: list[dict[str, Any]] = Field(description="The events the procedure's case gained")
    session: CourseSessionView


class DecideResponse(BaseModel):
    """The decision as recorded: ``accepted`` false (with ``decision.refusals``) if the rule
    bars it, which changes nothing in the course but is scored."""

    accepted: bool
    decision: Decision
    session: CourseSessionView


class CourseConflict(BaseModel):
    """A 409: the change was based on an old version; here is the course now."""

    detail: str
    session: CourseSessionView


_CHANGES: dict[int | str, dict[str, Any]] = {
    200: {"links": course_links("/session")},
    409: {"description": "Based on an old version: nothing done", "model": CourseConflict},
    **TOO_LARGE,
}


class ProcedureTimeline(BaseModel):
    """One donor's procedure as played: its case's events (the case timeline's format) and
    each as a trainee reads it."""

    donor: int = Field(ge=1, description="Which donor of the course, from 1")
    events: list[dict[str, Any]]
    said: list[Said] = Field(description="Each event as a trainee reads it, in the same order")


class CourseTimeline(BaseModel):
    """The course so far: its own events (enrolled, each procedure's result, assessments,
    decisions, the end) and every procedure's events."""

    version: int
    course: list[dict[str, Any]] = Field(description="The course's events, oldest first")
    procedures: list[ProcedureTimeline]


def _timeline(stored: StoredCourse) -> CourseTimeline:
    """The course's timeline; in an assessment, only once the course has ended (422): each
    decision's event carries the protocol's rule beside the trainee's choice."""
    if withholds(stored.header.mode, stored.finished):
        rule = "gives its timeline once the course has ended"
        raise InvalidInput.single("course timeline", "mode", stored.header.mode, rule)
    training = stored.training
    course = [event.model_dump(mode="json") for event in training.course.timeline]
    procedures = [
        ProcedureTimeline(
            donor=donor,
            events=events_to_python(played.case.timeline),
            said=said(played.case.timeline),
        )
        for donor, played in enumerate(training.procedures, start=1)
    ]
    return CourseTimeline(version=stored.version, course=course, procedures=procedures)


def router(registry: Registry) -> APIRouter:
    """The course routes over ``registry``'s sessions."""
    api = APIRouter(route_class=JSONRoute)

    def read(course_id: str) -> CourseSessionView:
        return registry.read_as(StoredCourse, course_id, StoredCourse.view)

    @api.post(
        "/courses",
        status_code=201,
        tags=["courses"],
        operation_id="createCourse",
        responses={201: {"links": course_links(""), "headers": LOCATION}, **TOO_LARGE},
    )
    def create_course(
        body: CreateCourse, request: Request, response: Response
    ) -> CourseSessionView:
        """Start a course session: recipient ``index``'s course, its first donor's procedure
        ready to play. A posted scenario is validated first (a 422 lists its problems)."""
        name, scenario = requested_scenario(body.scenario, body.scenario_spec)
        header = CourseHeader(
            scenario_name=name,
            scenario=scenario.model_dump(mode="json", exclude_unset=True),
            seed=scenario.seed_for(body.seed),
            index=body.index,
            mode=body.mode,
            rubric=body.rubric or CourseRubric(),
        )
        view = registry.create_course(header)
        response.headers["Location"] = request.url_for("read_course", course_id=view.id).path
        return view

    @api.get(
        "/courses/{course_id}",
        tags=["courses"],
        operation_id="getCourse",
        response_model=CourseSessionView,
    )
    def read_course(course_id: str) -> Response:
        """The stage (procedure, decision or ended), the procedure being played with its allowed
        actions, the decision waiting with the graft's assessment, the assessments so far."""
        return json_answer(read(course_id))

    @api.post(
        "/courses/{course_id}/act",
        tags=["courses"],
        operation_id="takeCourseAction",
        response_model=CourseActResponse,
        responses=_CHANGES,
    )
    def act(course_id: str, body: ActRequest) -> Response:
        """Take an action in the procedure being played (the bodies of ``takeAction``); a
        refusal is a 200 with ``accepted: false``; a 422 naming ``stage`` if none is played."""

        def how(course: StoredCourse) -> CourseStep:
            return course.act(body.action, body.after, body.data)

        try:
            step, view = registry.change_as(
                StoredCourse, course_id, body.expected_version, how, StoredCourse.view
            )
        except InvalidInput as error:
            raise problems.in_body(error, body.action) from None
        return json_answer(
            CourseActResponse(
                accepted=step.accepted,
                action=step.action,
                failures=step.failures,
                warnings=step.warnings,
                events=step.added,
                session=view,
            )
        )

    @api.post(
        "/courses/{course_id}/advance",
        tags=["courses"],
        operation_id="advanceCourseClock",
        response_model=CourseAdvanceResponse,
        responses=_CHANGES,
    )
    def advance(course_id: str, body: AdvanceRequest) -> Response:
        """Move the clock of the procedure being played on; deadlines it passes fire."""
        step, view = registry.change_as(
            StoredCourse,
            course_id,
            body.expected_version,
            lambda c: c.advance(body.by),
            StoredCourse.view,
        )
        return json_answer(CourseAdvanceResponse(events=step.added, session=view))

    @api.post(
        "/courses/{course_id}/decide",
        tags=["courses"],
        operation_id="decideReinfusion",
        response_model=DecideResponse,
        responses=_CHANGES,
    )
    def decide(course_id: str, body: DecideRequest) -> Response:
        """Answer the re-infusion decision waiting (a 422 naming ``stage`` if none waits). One
        the rule bars (a main-branch thrombosis, the most infusions, no further donor) is a 200
        with ``accepted: false`` and its refusals: recorded and scored, the course unchanged."""
        step, view = registry.change_as(
            StoredCourse,
            course_id,
            body.expected_version,
            lambda c: c.decide(body.reinfuse),
            StoredCourse.view,
        )
        assert step.decision is not None
        return json_answer(
            DecideResponse(accepted=step.accepted, decision=step.decision, session=view)
        )

    @api.get("/courses/{course_id}/timeline", tags=["courses"], operation_id="getCourseTimeline")
    def course_timeline(course_id: str) -> CourseTimeline:
        """Every event so far, as JSON: the course's own, and each procedure's with how a
        trainee reads it (what the procedure sessions' timeline gives, a procedure each). An
        assessment's once it has ended (422): a decision's event names the rule's verdict."""
        return registry.read_as(StoredCourse, course_id, _timeline)

    @api.get("/courses/{course_id}/score", tags=["courses"], operation_id="getCourseScore")
    def course_score(course_id: str) -> CourseScore:
        """The procedures' mean less the decisions' costs (in an assessment still going on,
        the decisions' deviations without their reasons)."""
        return registry.read_as(StoredCourse, course_id, StoredCourse.score)

    @api.get("/courses/{course_id}/debrief", tags=["courses"], operation_id="getCourseDebrief")
    def course_debrief(course_id: str) -> CourseDebrief:
        """Each procedure's debrief, each decision beside the rule, and the recipient's function
        over the follow-up years beside the expert's. An assessment's once it has ended (422)."""
        return registry.read_as(StoredCourse, course_id, StoredCourse.debrief)

    @api.get(
        "/courses/{course_id}/debrief.txt",
        operation_id="getCourseDebriefText",
        tags=["courses"],
        response_class=PlainTextResponse,
        responses=TEXT_ERRORS,
    )
    def course_debrief_text(course_id: str) -> str:
        """The course debrief as text (an assessment's once it has ended)."""
        return registry.read_as(StoredCourse, course_id, lambda c: c.debrief().text())

    return api
