"""``CourseSession``: a trainee's recipient course, from the first procedure to the follow-up.

The trainee plays each donor's procedure as a ``TrainingSession`` (the one procedure trainer,
with its lab and its expert path: the simulator's policy on the same donor). When a procedure
ends, the session hands its case to the recipient's ``Course`` (the one course engine, enrolled
with ``decided_by="clinician"``), which follows the graft to its re-infusion decision and waits
there: the trainee sees the graft assessment (``view().decision``) and decides (``decide``). The
course refuses a further infusion its rule bars (``Course.decide``: a main-branch portal-vein
thrombosis, the most infusions, no further donor) and changes nothing; any other decision is
taken, and one against the rule is a deviation (``training.course_debrief``). After a further
infusion the next donor's procedure comes from the slot ``simulate_course`` would give it
(``course_run.next_slot``); after a product that was not infused, the next donor comes at once.

The expert course is ``simulate_course(scenario, seed, index)``. Each read settles the session
first (a procedure just ended is handed to the course), so a UI may drive ``current`` directly.
A snapshot holds the inputs (each procedure's session snapshot, each decision) and the course's
snapshot; ``restore`` replays the inputs and refuses any disagreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import library
from ..assessment import measures
from ..case import ActionResult
from ..clock import AcceleratedClock
from ..course import Course
from ..course_events import Assessed, CourseEvent, CourseSnapshot
from ..course_run import AssessmentRecord, enrol, next_slot, simulate_course, to_next_input
from ..duration import IsoDuration
from ..errors import InvalidInput
from ..models import UtcDatetime
from ..sampling import PlanSampler
from ..scenario import Scenario
from ..timeline import Event
from .course_debrief import CourseDebrief, CourseRubric, CourseScore, Decision, course_score
from .exercise import Exercise
from .session import SessionSnapshot, TrainingSession
from .view import MODES, Mode, View

__all__ = ["CourseSession", "CourseSessionSnapshot", "CourseView", "course_title"]

Stage = Literal["procedure", "decision", "ended"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DecisionOption(_Frozen):
    """One answer to the re-infusion question; in guided mode judged before it is given."""

    reinfuse: bool
    accepted: bool | None = Field(description="None in assessment mode: not judged")
    failures: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


class DecisionView(_Frozen):
    """The decision waiting for the trainee: the graft as assessed, and the two answers."""

    at: UtcDatetime
    infusions: int
    cumulative_ieq_per_kg: float
    since_last_infusion: IsoDuration
    assessment: AssessmentRecord
    options: tuple[DecisionOption, DecisionOption]


class CourseView(_Frozen):
    """What a UI shows of a course now: its stage, and the procedure or the decision."""

    exercise: str
    mode: Mode
    stage: Stage
    donor: int = Field(description="Donors offered so far (the current procedure's included)")
    infusions: int
    cumulative_ieq_per_kg: float
    score: CourseScore
    procedure: View | None = Field(description="The procedure being played")
    decision: DecisionView | None = Field(description="The decision waiting for the trainee")
    assessments: tuple[AssessmentRecord, ...] = Field(description="The course's so far")


class CourseSessionSnapshot(_Frozen):
    """A course session's inputs, and its course's snapshot to check them against."""

    schema_version: Literal[1] = 1
    exercise: str
    scenario: dict[str, Any] = Field(description="The scenario as JSON data")
    seed: int = Field(ge=0)
    index: int = Field(ge=0)
    rubric: CourseRubric
    mode: Mode
    clock_factor: float | None
    procedures: list[SessionSnapshot]
    decisions: list[Decision]
    course: CourseSnapshot


def course_title(name: str, seed: int, index: int) -> str:
    """How a course session is named to the trainee: the scenario's name (or the bundled file's,
    when that may be shown), the seed and the recipient."""
    return f"{name} (seed {seed}, recipient {index})"


class CourseSession:
    """A trainee's course on recipient ``index`` of ``scenario`` under ``seed``."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        index: int = 0,
        *,
        rubric: CourseRubric | None = None,
        mode: Mode = "guided",
        exercise: str | None = None,
        factor: float | None = None,
    ) -> None:
        if mode not in MODES:
            rule = "must be one of: " + ", ".join(MODES)
            raise InvalidInput.single("course session", "mode", mode, rule)
        if index < 0:
            raise InvalidInput.single("course session", "index", index, "must be 0 or more")
        self.scenario = scenario
        self.seed = scenario.seed_for(seed)
        self.index = index
        self.rubric = rubric if rubric is not None else CourseRubric()
        self.mode: Mode = mode
        self.exercise = exercise or course_title(scenario.name or "scenario", self.seed, index)
        self.factor = factor
        self._sampler = PlanSampler(scenario)
        self.expert: Course = simulate_course(scenario, self.seed, index, sampler=self._sampler)
        self.course: Course = enrol(self._sampler, self.seed, index, decided_by="clinician")
        self.procedures: list[TrainingSession] = []
        self.decisions: list[Decision] = []
        self._queued: list[SessionSnapshot] = []  # restoring: the procedures to replay

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario | str,
        seed: int | None = None,
        index: int = 0,
        *,
        rubric: CourseRubric | None = None,
        mode: Mode = "guided",
        factor: float | None = None,
    ) -> CourseSession:
        """A course session on ``scenario`` (a ``Scenario`` or a bundled name)."""
        if isinstance(scenario, str):
            name, scenario = library.resolve(scenario)
            exercise = course_title(name, scenario.seed_for(seed), index)
            return cls(
                scenario, seed, index, rubric=rubric, mode=mode, exercise=exercise, factor=factor
            )
        return cls(scenario, seed, index, rubric=rubric, mode=mode, factor=factor)

    # -- Reading ----------------------------------------------------------------------------

    @property
    def stage(self) -> Stage:
        """``procedure`` (one is being played), ``decision`` (one waits) or ``ended``."""
        self._settle()
        if self.course.stage == "ended":
            return "ended"
        return "decision" if self.course.stage == "awaiting_decision" else "procedure"

    @property
    def finished(self) -> bool:
        return self.stage == "ended"

    @property
    def current(self) -> TrainingSession | None:
        """The procedure being played, or None."""
        self._settle()
        if self.procedures and not self.procedures[-1].finished:
            return self.procedures[-1]
        return None

    def score(self) -> CourseScore:
        self._settle()
        points = [float(s.score().points) for s in self.procedures]
        return course_score(points, self.decisions, self.rubric)

    def debrief(self) -> CourseDebrief:
        score = self.score()
        procedures = [s.debrief() for s in self.procedures]
        return CourseDebrief.of(
            self.exercise, self.course, self.expert, procedures, self.decisions, score
        )

    def view(self) -> CourseView:
        """What a UI shows now (the procedure's own ``View`` while one is played)."""
        stage, current, course = self.stage, self.current, self.course
        return CourseView(
            exercise=self.exercise,
            mode=self.mode,
            stage=stage,
            donor=course.donors + int(current is not None),
            infusions=course.infusions,
            cumulative_ieq_per_kg=round(course.cumulative_ieq_per_kg, 1),
            score=self.score(),
            procedure=current.view() if current is not None else None,
            decision=self._decision_view() if stage == "decision" else None,
            assessments=tuple(_record(e) for e in course.timeline if isinstance(e, Assessed)),
        )

    def _decision_view(self) -> DecisionView:
        course = self.course
        seen = course.pending
        assert seen is not None  # the stage is decision
        rule = course.rule(seen)
        options = []
        for reinfuse in (True, False):
            if self.mode == "assessment":
                options.append(DecisionOption(reinfuse=reinfuse, accepted=None))
                continue
            failures = rule.barred if reinfuse else ()
            warnings: tuple[str, ...] = ()
            if not failures and reinfuse != rule.reinfuse:
                said = "a further infusion" if rule.reinfuse else "no further infusion"
                warnings = (f"The protocol's rule gives {said} ({rule.reason}).",)
            options.append(
                DecisionOption(
                    reinfuse=reinfuse, accepted=not failures, failures=failures, warnings=warnings
                )
            )
        return DecisionView(
            at=seen.at,
            infusions=course.infusions,
            cumulative_ieq_per_kg=round(course.cumulative_ieq_per_kg, 1),
            since_last_infusion=seen.at - course.engrafted[-1].at,
            assessment=_record(course.timeline[-1]),
            options=(options[0], options[1]),
        )

    # -- Acting -----------------------------------------------------------------------------

    def act(
        self, action: str, after: timedelta | str | None = None, **choices: Any
    ) -> ActionResult:
        """An action of the procedure being played (``TrainingSession.act``)."""
        result = self._playing("act").act(action, after, **choices)
        self._settle()
        return result

    def wait(self, delta: timedelta | str) -> tuple[Event, ...]:
        """Let the procedure's time pass (``TrainingSession.wait``)."""
        events = self._playing("wait").wait(delta)
        self._settle()
        return events

    def decide(self, reinfuse: bool) -> Decision:
        """The trainee's re-infusion decision: refused with its reasons if the rule bars a
        further infusion (nothing changes but the record of the attempt), else taken."""
        if self.stage != "decision":
            must = "must be decision (a re-infusion decision waiting)"
            raise InvalidInput.single("course session", "stage", self.stage, must)
        if not isinstance(reinfuse, bool):
            raise InvalidInput.single("decision", "reinfuse", reinfuse, "must be true or false")
        course = self.course
        seen = course.pending
        assert seen is not None
        rule = course.rule(seen)
        decision = Decision(
            at=seen.at,
            infusions=course.infusions,
            assessment=_record(course.timeline[-1]),
            rule_reinfuse=rule.reinfuse,
            rule_reason=rule.reason,
            reinfuse=reinfuse,
            accepted=True,
        )
        refusals = course.decide(reinfuse)
        if refusals:
            decision = decision.model_copy(update={"accepted": False, "refusals": refusals})
        self.decisions.append(decision)
        self._settle()
        return decision

    def _playing(self, what: str) -> TrainingSession:
        current = self.current
        if current is None:
            rule = f"must be procedure to {what} (a procedure being played)"
            raise InvalidInput.single("course session", "stage", self.stage, rule)
        return current

    def _settle(self) -> None:
        """Hand a procedure that has ended to the course, bring the course to its next input,
        and start the next donor's procedure when the course awaits one."""
        course = self.course
        while True:
            to_next_input(course)
            played = len(self.procedures)
            if played and self.procedures[-1].finished and course.donors < played:
                course.add_procedure(self.procedures[-1].case)
            elif course.stage == "awaiting_donor" and course.donors == played:
                self.procedures.append(self._next_procedure())
            else:
                return

    def _next_procedure(self) -> TrainingSession:
        slot = next_slot(self.course, self._sampler)
        exercise = Exercise.from_scenario(self.scenario, self.seed, self.index, slot=slot)
        title = f"{self.exercise}, donor {slot.donor} (infusion {slot.infusion})"
        if self._queued:
            restored = TrainingSession.restore(self._queued.pop(0))
            told = (restored.lab.to_data(), list(restored.expert), restored.rubric, restored.mode)
            found = (exercise.lab.to_data(), list(exercise.expert), self.rubric.procedure)
            if told != (*found, self.mode):
                rule = f"must be the course's donor {slot.donor} (lab, expert, rubric, mode)"
                where = f"procedures.{len(self.procedures)}"
                raise InvalidInput.single(WHAT, where, restored.exercise, rule)
            return restored
        clock = None
        if self.factor is not None:
            clock = AcceleratedClock(exercise.expert[0].at, self.factor)
        session = exercise.session(clock=clock, rubric=self.rubric.procedure, mode=self.mode)
        session.exercise = title
        return session

    # -- Saving and resuming ----------------------------------------------------------------

    def snapshot(self) -> CourseSessionSnapshot:
        """Everything needed to go on exactly from here: ``CourseSession.restore``."""
        self._settle()
        return CourseSessionSnapshot(
            exercise=self.exercise,
            scenario=self.scenario.model_dump(mode="json", exclude_unset=True),
            seed=self.seed,
            index=self.index,
            rubric=self.rubric,
            mode=self.mode,
            clock_factor=self.factor,
            procedures=[s.snapshot() for s in self.procedures],
            decisions=list(self.decisions),
            course=self.course.snapshot(),
        )

    @classmethod
    def restore(
        cls, snapshot: CourseSessionSnapshot | Mapping[str, Any] | str | bytes
    ) -> CourseSession:
        """The session the snapshot saved, rebuilt by replaying its procedures and decisions;
        any that does not replay as recorded, or a course that disagrees, is refused."""
        snap = _read(snapshot)
        session = cls(
            Scenario.from_mapping(snap.scenario),
            snap.seed,
            snap.index,
            rubric=snap.rubric,
            mode=snap.mode,
            exercise=snap.exercise,
            factor=snap.clock_factor,
        )
        session._queued = list(snap.procedures)  # before the first read settles the session
        for n, recorded in enumerate(snap.decisions):
            if session.stage != "decision" or session.decide(recorded.reinfuse) != recorded:
                rule = "must replay as recorded (the same moment, graft, rule and answer)"
                raise InvalidInput.single(WHAT, f"decisions.{n}", recorded.reinfuse, rule)
        session._settle()
        if session._queued:
            rule = "must each be a donor the course reached"
            raise InvalidInput.single(WHAT, "procedures", len(snap.procedures), rule)
        if session.course.snapshot() != snap.course:
            rule = "disagrees with the course its procedures and decisions replay to"
            raise InvalidInput.single(WHAT, "course", snap.course.stage, rule)
        return session


WHAT = "course session snapshot"


def _record(event: CourseEvent) -> AssessmentRecord:
    """An assessment of the course's timeline as a record (its year and what it measured)."""
    if not isinstance(event, Assessed):  # the course's last event at a decision is one
        raise TypeError(f"not an assessment: {event.kind}")
    return AssessmentRecord(year=event.year, **measures(event))


def _read(value: CourseSessionSnapshot | Mapping[str, Any] | str | bytes) -> CourseSessionSnapshot:
    if isinstance(value, CourseSessionSnapshot):
        return value
    try:
        if isinstance(value, str | bytes):
            return CourseSessionSnapshot.model_validate_json(value)
        return CourseSessionSnapshot.model_validate(dict(value))
    except ValidationError as error:
        raise InvalidInput.from_pydantic(WHAT, error) from None
