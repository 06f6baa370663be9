"""``TrainingSession``: a trainee drives a ``Case``; the session says what a UI needs to show.

The trainee's actions go through the same ``Case.act`` as any driver's, with the measured values
from a ``Lab``. ``view()`` is one JSON-ready model for a UI at any moment; ``score()`` and
``debrief()`` compare the case's timeline with the expert path under a ``Rubric``; ``snapshot()``
and ``TrainingSession.restore`` save and resume a session mid-case, clock and deadlines included.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..case import ActionResult, Case, Check
from ..clock import AcceleratedClock, Clock, SimulatedClock
from ..duration import Duration
from ..errors import InvalidInput
from ..guards import GuardResult
from ..models import UtcDatetime
from ..timeline import Accepted, Created, Event, Timeline, events_from_python, events_to_python
from .debrief import Debrief, DebriefOutcome, debrief, outcome_view
from .lab import CHOICES, MEASURED, Lab, LabRequest, act_with_lab, lab_from_data
from .rubric import Rubric
from .scoring import Deviation, Score, score
from .xapi import Actor, xapi_statements

__all__ = [
    "SESSION_SCHEMA_VERSION",
    "ActionView",
    "Choice",
    "DeadlineView",
    "Measurement",
    "Reason",
    "SessionSnapshot",
    "TrainingSession",
    "View",
    "choices_for",
    "revealed",
]

SESSION_SCHEMA_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reason(_Frozen):
    """A guard's verdict as a trainee reads it."""

    code: str
    subcode: str | None = None
    message: str
    time_left: Duration | None = None

    @classmethod
    def of(cls, result: GuardResult) -> Reason:
        return cls(
            code=result.code,
            subcode=result.subcode,
            message=result.message,
            time_left=result.time_left,
        )


class Choice(_Frozen):
    """One field a trainee fills in for an action, enough for a UI to build its form."""

    name: str
    required: bool
    description: str | None = None
    options: tuple[str, ...] | None = None
    many: bool = False
    json_schema: dict[str, Any] = Field(description="The field's JSON Schema, $refs resolved")


class ActionView(_Frozen):
    """An action possible now: would it be accepted, and if not, every reason."""

    action: str
    kind: Literal["step", "recording"]
    accepted: bool
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Reason, ...] = ()
    choices: tuple[Choice, ...] = ()
    measured: tuple[str, ...] = Field((), description="Fields the lab fills in")


class DeadlineView(_Frozen):
    name: str
    code: str
    due: UtcDatetime
    time_left: Duration


class Measurement(_Frozen):
    """A value the lab or a monitor gave, revealed by the step that produced it."""

    at: UtcDatetime
    action: str
    field: str
    value: Any
    context: dict[str, Any] = Field(default_factory=dict, description="The trainee's choices")


class View(_Frozen):
    """What a UI shows at one moment."""

    exercise: str
    now: UtcDatetime
    since_clamp: Duration
    state: str
    phase: str
    finished: bool
    outcome: DebriefOutcome | None
    actions: tuple[ActionView, ...]
    deadlines: tuple[DeadlineView, ...]
    revealed: tuple[Measurement, ...]
    points: float
    full_marks: float
    deviations: tuple[Deviation, ...] = Field((), description="So far, with their costs")


def _resolve(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _resolve(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _resolve(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value, defs) for value in node]
    return node


def _options(schema: Mapping[str, Any]) -> tuple[tuple[str, ...] | None, bool]:
    many = schema.get("type") == "array"
    node = schema.get("items", schema) if many else schema
    for variant in [node, *node.get("anyOf", [])]:
        if "enum" in variant:
            return tuple(str(v) for v in variant["enum"]), many
    return None, many


@functools.cache
def choices_for(action: str) -> tuple[Choice, ...]:
    """The fields a trainee chooses for ``action`` (its data less what the lab measures)."""
    schema = CHOICES[action].model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        resolved = _resolve(raw, defs)
        options, many = _options(resolved)
        fields.append(
            Choice(
                name=name,
                required=name in required,
                description=resolved.get("description"),
                options=options,
                many=many,
                json_schema=resolved,
            )
        )
    return tuple(fields)


def revealed(events: Sequence[Event]) -> tuple[Measurement, ...]:
    """Every measured value in the timeline, at the step that produced it."""
    found = []
    for event in events:
        if not isinstance(event, Accepted):
            continue
        measured = MEASURED.get(event.action, frozenset())
        context = {k: v for k, v in event.data.items() if k not in measured}
        found += [
            Measurement(at=event.at, action=event.action, field=name, value=value, context=context)
            for name, value in event.data.items()
            if name in measured
        ]
    return tuple(found)


class SessionSnapshot(_Frozen):
    """Everything needed to resume a session: the case, the lab, the expert path, the rubric."""

    schema_version: int = SESSION_SCHEMA_VERSION
    exercise: str
    case: dict[str, Any] = Field(description="Case.snapshot() as JSON data")
    lab: dict[str, Any] = Field(description="Lab.to_data()")
    expert: list[Any] = Field(description="The expert timeline as JSON data")
    rubric: Rubric
    clock_factor: float | None = Field(
        None, description="The AcceleratedClock's factor, or None for a simulated clock"
    )


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
    ) -> None:
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
        return score(self.case.timeline, self.expert, self.rubric)

    def debrief(self) -> Debrief:
        return debrief(self.case.timeline, self.expert, self.rubric, self.exercise)

    def statements(self, actor: Actor) -> list[dict[str, Any]]:
        """The session so far as xAPI statements (see ``isletflow.training.xapi``)."""
        return xapi_statements(self.case.timeline, self.expert, self.rubric, actor, self.exercise)

    def view(self) -> View:
        """What a UI shows now: state, possible actions with reasons, deadlines, results."""
        case = self.case
        events = case.timeline
        now = case.now
        result = self.score()
        deadlines = tuple(
            DeadlineView(name=d.name, code=d.code, due=d.due, time_left=d.due - now)
            for d in case.deadlines
        )
        return View(
            exercise=self.exercise,
            now=now,
            since_clamp=now - events.cross_clamp,
            state=case.state,
            phase=case.phase,
            finished=case.terminal,
            outcome=outcome_view(events),
            actions=tuple(self._action_view(check) for check in case.allowed()),
            deadlines=deadlines,
            revealed=revealed(events),
            points=result.points,
            full_marks=result.full_marks,
            deviations=result.deviations,
        )

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
        measured = MEASURED.get(action, frozenset())
        check = self.preview(check)
        return ActionView(
            action=action,
            kind=check.kind,
            accepted=check.accepted,
            reasons=tuple(Reason.of(r) for r in check.failures),
            warnings=tuple(Reason.of(r) for r in check.warnings),
            choices=choices_for(action),
            measured=tuple(sorted(measured)),
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
        )

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
        return cls(case, lab_from_data(snap.lab), expert, snap.rubric, exercise=snap.exercise)


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
