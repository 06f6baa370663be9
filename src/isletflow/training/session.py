"""``TrainingSession``: a trainee drives a ``Case``; the session says what a UI needs to show.

The trainee's actions go through the same ``Case.act`` as any driver's, with the measured values
from a ``Lab``. ``view()`` is one JSON-ready model for a UI at any moment (``View``, which the
HTTP service serves too); ``score()`` and ``debrief()`` compare the case's timeline with the
expert path under a ``Rubric``; ``snapshot()`` and ``TrainingSession.restore`` save and resume a
session mid-case, clock and deadlines included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..case import ActionResult, Case, Check
from ..clock import AcceleratedClock, Clock, SimulatedClock
from ..errors import InvalidInput
from ..eventlog import EventLog
from ..models import UtcDatetime
from ..timeline import (
    CasePoint,
    Created,
    Event,
    JsonEvent,
    Timeline,
    events_from_python,
    events_to_python,
)
from .debrief import Debrief, debrief, outcome_view
from .lab import MEASURED, Lab, LabRequest, ScenarioLab, WalkPoint, act_with_lab, lab_from_data
from .results import results
from .rubric import Rubric
from .scoring import Score, Scorer, ScorerPoint
from .view import (
    MODES,
    ActionView,
    CaseView,
    DeadlineView,
    Measurement,
    Mode,
    Verdict,
    View,
    brief_of,
    choices_for,
    measurements,
    shown_score,
)
from .xapi import Actor, xapi_statements

__all__ = ["SessionPoint", "SessionSnapshot", "TrainingSession"]

SESSION_SCHEMA_VERSION = 1


class SessionSnapshot(BaseModel):
    """Everything needed to resume a session: the case, the lab, the expert path, the rubric."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SESSION_SCHEMA_VERSION
    exercise: str
    case: dict[str, Any] = Field(description="Case.snapshot() as JSON data")
    lab: dict[str, Any] = Field(description="Lab.to_data()")
    expert: list[Any] = Field(description="The expert timeline as JSON data")
    rubric: Rubric
    clock_factor: float | None = Field(
        None, description="The AcceleratedClock's factor, or None for a simulated clock"
    )
    mode: Mode = "guided"


class SessionPoint(BaseModel):
    """A session after its first ``version`` events, less its timeline: the service's checkpoint.

    The case where it stands, the score and the values revealed as folded so far, and the
    timeline's first and last events (what the case reads of its timeline to go on). Unlike a
    ``SessionSnapshot`` it is taken as it is (``TrainingSession.continued``): only for one
    written by this engine beside the log it describes and bound to it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1, description="How many events of the timeline it covers")
    first: JsonEvent
    last: JsonEvent
    case: CasePoint
    scorer: ScorerPoint
    revealed: tuple[Measurement, ...]
    walk: WalkPoint | None = Field(None, description="A ScenarioLab's walk of the patient")


def _same_case(a: Event, b: Event) -> bool:
    return (
        isinstance(a, Created)
        and isinstance(b, Created)
        and (a.donor, a.recipient, a.approach, a.protocol)
        == (b.donor, b.recipient, b.approach, b.protocol)
    )


class TrainingSession:
    """A trainee's session on ``case``, measured by ``lab``, scored against ``expert``."""

    def __init__(
        self,
        case: Case,
        lab: Lab,
        expert: Sequence[Event],
        rubric: Rubric | None = None,
        *,
        exercise: str = "training session",
        mode: Mode = "guided",
    ) -> None:
        if mode not in MODES:
            rule = "must be one of: " + ", ".join(MODES)
            raise InvalidInput.single("training session", "mode", mode, rule)
        expert = list(expert)
        if not expert or not _same_case(expert[0], case.timeline[0]):
            raise InvalidInput.single(
                "training session",
                "expert",
                expert[0] if expert else None,
                "must be a timeline of the same case (donor, recipient, approach, protocol)",
            )
        self.case = case
        self.lab = lab
        self.expert = Timeline(expert)
        self.rubric = rubric if rubric is not None else Rubric()
        self.exercise = exercise
        self.mode: Mode = mode
        self._kept: _Folds | None = None

    # -- Driving ------------------------------------------------------------------------------

    def act(
        self, action: str, after: timedelta | str | None = None, **choices: Any
    ) -> ActionResult:
        """Take ``action`` with the trainee's ``choices``; the lab fills in what it measures."""
        return act_with_lab(self.case, self.lab, action, after, choices)

    def wait(self, delta: timedelta | str) -> tuple[Event, ...]:
        """Let time pass; deadlines it passes fire."""
        return self.case.advance(delta)

    # -- Reading ------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.case.terminal

    def score(self) -> Score:
        return self._folds().scorer.score()

    def debrief(self) -> Debrief:
        return debrief(self.case.timeline, self.expert, self.rubric, self.exercise)

    def statements(
        self, actor: Actor, *, attempt: str, acted: Mapping[int, datetime] | None = None
    ) -> list[dict[str, Any]]:
        """The session so far as xAPI statements, ``attempt`` naming this attempt and ``acted``
        when the trainee acted (wall clock, by timeline index; see ``isletflow.training.xapi``).
        """
        return xapi_statements(
            self.case.timeline,
            self.expert,
            self.rubric,
            actor,
            self.exercise,
            attempt=attempt,
            acted=acted,
        )

    def view(self) -> View:
        """What a UI shows now: state, actions (judged in guided mode), deadlines, results."""
        case = self.case
        state = case.state  # first: a deadline the clock has passed fires before anything is read
        now = case.now
        timeline = case.timeline
        folds = self._folds()
        ended_by = folds.scorer.ended_by
        return View(
            exercise=self.exercise,
            mode=self.mode,
            now=now,
            since_clamp=now - timeline.cross_clamp,
            state=state,
            phase=case.phase,
            finished=case.terminal,
            outcome=outcome_view([timeline[0], ended_by]) if ended_by is not None else None,
            allowed=tuple(self._action_view(check) for check in case.allowed()),
            deadlines=tuple(
                DeadlineView(name=d.name, code=d.code, due=d.due, time_left=d.due - now)
                for d in case.deadlines
            ),
            revealed=(revealed := folds.revealed()),
            results=results(case, revealed),
            brief=brief_of(self.lab),
            score=shown_score(folds.scorer.score(), self.mode, case.terminal),
            record=dataclasses.replace(case.record),  # a copy: the case's record goes on
            case=CaseView.of(case),
        )

    def _folds(self) -> _Folds:
        """What the view folds over the timeline, caught up with it (kept between reads)."""
        folds = self._kept
        if folds is None or not folds.serves(self):
            folds = self._kept = _Folds(self)
        return folds.caught_up()

    def preview(self, check: Check) -> Check:
        """``check`` judged again with what the lab would measure now (the trainee cannot give
        it); as it was when the lab needs a choice first (which drug)."""
        action = check.action
        if not MEASURED.get(action):
            return check
        try:
            data = self.lab.measure(LabRequest(action, {}, self.case))
            return self.case.check(action, **data)
        except InvalidInput:
            return check

    def _action_view(self, check: Check) -> ActionView:
        action = check.action
        if self.mode == "assessment":  # what may be tried, never its verdict before it is
            return ActionView(
                action=action,
                kind=check.kind,
                accepted=None,
                choices=choices_for(action),
                measured=tuple(sorted(MEASURED.get(action, frozenset()))),
            )
        judged = self.preview(check)
        return ActionView(
            action=action,
            kind=check.kind,
            accepted=judged.accepted,
            failures=Verdict.all_of(judged.failures),
            warnings=Verdict.all_of(judged.warnings),
            choices=choices_for(action),
            measured=tuple(sorted(MEASURED.get(action, frozenset()))),
        )

    # -- Saving and resuming --------------------------------------------------------------------

    def snapshot(self) -> SessionSnapshot:
        """Everything needed to go on exactly from here: ``TrainingSession.restore``."""
        clock = self.case.clock
        factor: float | None = None
        if isinstance(clock, AcceleratedClock):
            factor = clock.factor
        return SessionSnapshot(
            exercise=self.exercise,
            case=self.case.snapshot().model_dump(mode="json"),
            lab=self.lab.to_data(),
            expert=events_to_python(self.expert),
            rubric=self.rubric,
            clock_factor=factor,
            mode=self.mode,
        )

    def point(self) -> SessionPoint:
        """Where the session stands, for ``continued`` (the service's checkpoints)."""
        folds = self._folds()
        timeline = self.case.timeline
        return SessionPoint.model_construct(
            version=len(timeline),
            first=timeline[0],
            last=timeline[-1],
            case=self.case.point(),
            scorer=folds.scorer.point(),
            revealed=folds.revealed(),
            walk=self.lab.walk_point(self.case) if isinstance(self.lab, ScenarioLab) else None,
        )

    @classmethod
    def continued(
        cls,
        point: SessionPoint,
        earlier: Callable[[], Sequence[Event]],
        following: Sequence[Event],
        lab: Lab,
        expert: Sequence[Event],
        rubric: Rubric | None = None,
        *,
        exercise: str = "training session",
        mode: Mode = "guided",
    ) -> TrainingSession:
        """The session at ``point``, then ``following`` (the events after it) replayed.

        ``earlier()`` reads the events before the point's last one, when something asks for
        the whole timeline (a debrief, an export); until then the session never reads them.
        Trusted as ``Case.continued`` is: only for the service's own, digest-bound checkpoints.
        """
        for name, fed in (("scorer", point.scorer.fed), ("walk", point.walk and point.walk.fed)):
            if fed not in (point.version, None):
                rule = f"must have taken in the point's {point.version} events"
                raise InvalidInput.single("session point", f"{name}.fed", fed, rule)
        start = point.version - 1
        log = (
            EventLog([point.last], first=point.first, start=start, load=earlier)
            if start
            else EventLog([point.first])
        )
        case = Case.continued(point.case, log, following)
        if point.walk is not None and isinstance(lab, ScenarioLab):
            lab.resume_walk(case, point.walk)
        session = cls(case, lab, expert, rubric, exercise=exercise, mode=mode)
        folds = session._kept = _Folds(session)
        folds.scorer = Scorer.resumed(session.expert, session.rubric, point.scorer, point.first)
        folds.resume(point.revealed)
        return session

    @classmethod
    def restore(
        cls, snapshot: SessionSnapshot | Mapping[str, Any] | str | bytes, clock: Clock | None = None
    ) -> TrainingSession:
        """The session the snapshot saved, going on where it was.

        Without ``clock``, a session saved on an ``AcceleratedClock`` goes on on a new one (same
        factor, from the saved time, following the wall clock from now); else on a simulated one.
        """
        snap = _read(snapshot)
        if clock is None:
            now = _NOW.validate_python(snap.case.get("now"))
            factor = snap.clock_factor
            clock = AcceleratedClock(now, factor) if factor is not None else SimulatedClock(now)
        case = Case.restore(snap.case, clock=clock)
        expert = events_from_python(snap.expert, what="expert")
        lab = lab_from_data(snap.lab)
        return cls(case, lab, expert, snap.rubric, exercise=snap.exercise, mode=snap.mode)


class _Folds:
    """The score and the values revealed, folded over the session's timeline as it grows.

    A cache: what it gives is what ``score`` gives on the whole timeline (the scorer is its own
    fold) and every event's ``measurements``, but each read takes in only the events added since
    the last, so a view costs the same at the tenth event as at the ten-thousandth. It is made
    again if the session's case, expert path or rubric is replaced.
    """

    def __init__(self, session: TrainingSession) -> None:
        self.case, self.expert, self.rubric = session.case, session.expert, session.rubric
        self.scorer = Scorer(session.expert, session.rubric)
        self._measurements: list[Measurement] = []
        self._revealed: tuple[Measurement, ...] | None = ()

    def serves(self, session: TrainingSession) -> bool:
        mine, theirs = (self.case, self.expert, self.rubric), (session.case, session.expert)
        return all(a is b for a, b in zip(mine, (*theirs, session.rubric), strict=True))

    def caught_up(self) -> _Folds:
        new = self.case.timeline[self.scorer.fed :]
        if new:
            self.scorer.feed(new)
            for event in new:
                found = measurements(event)
                if found:
                    self._measurements += found
                    self._revealed = None
        return self

    def resume(self, revealed: Sequence[Measurement]) -> None:
        """Go on from the values revealed by the events the scorer has been fed."""
        self._measurements = list(revealed)
        self._revealed = None

    def revealed(self) -> tuple[Measurement, ...]:
        if self._revealed is None:
            self._revealed = tuple(self._measurements)
        return self._revealed


_NOW: TypeAdapter[datetime] = TypeAdapter(UtcDatetime)


def _read(value: SessionSnapshot | Mapping[str, Any] | str | bytes) -> SessionSnapshot:
    if isinstance(value, SessionSnapshot):
        return value
    try:
        if isinstance(value, str | bytes):
            snap = SessionSnapshot.model_validate_json(value)
        else:
            snap = SessionSnapshot.model_validate(dict(value))
        _NOW.validate_python(snap.case.get("now"))
    except ValidationError as error:
        raise InvalidInput.from_pydantic("session snapshot", error) from None
    if snap.schema_version != SESSION_SCHEMA_VERSION:
        raise InvalidInput.single(
            "session snapshot",
            "schema_version",
            snap.schema_version,
            f"must be {SESSION_SCHEMA_VERSION}",
        )
    return snap
