"""What a session *is*: the one place in the service that knows it runs a training session.

A session is stored as a header (what it was made from: the scenario as data, its bundled name
if it has one, the seed, the case index and the rubric), its event log (the trainee's case
timeline as JSON) and, every so many events, a checkpoint (``checkpoint()``: the training
session's ``SessionPoint`` as JSON). Restoring it rebuilds the exercise from the header (the
scenario's lab and the simulator's expert path), then goes on from the checkpoint with the events
after it (``TrainingSession.continued``) or, without one, replays the whole log with
``Case.replay``, and moves the clock to where it stood. The store and the registry see only
``header_json()``, ``events_json()``, ``checkpoint()``, ``version`` and ``now``; the routes see
``act``, ``advance``, ``view`` and the read-outs (score, debrief, xAPI, FHIR, diagram). Nothing
below this class knows what a ``Case`` is.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import library
from ..case import Case
from ..errors import InvalidInput, Problem
from ..report import timeline_table
from ..scenario import Scenario
from ..simulation import SimulationStuck
from ..timeline import Event, Timeline, events_to_python
from ..training.exercise import Exercise
from ..training.lab import CHOICES, check_choices
from ..training.rubric import Rubric
from ..training.session import SessionPoint, TrainingSession
from ..training.view import Mode, Verdict
from .schemas import SessionView
from .store import UnreadableSession

__all__ = [
    "Session",
    "SessionHeader",
    "Step",
    "renamed",
    "requested_scenario",
    "strict_choices",
    "unsimulable",
]

HEADER_VERSION = 2
SESSION_BYTES = 8 * 1024
"""A session's memory beside its log: its case, views and folds (about 7 KB, measured)."""
LOG_FACTOR = 5
"""A session's memory per byte of its log's JSON, at most (4.1 measured, for refusals)."""


class SessionHeader(BaseModel):
    """What a session was made from; stored once, never changed.

    The scenario is kept as data even when it came from the library, so a stored session replays
    against the case it was made on whatever the library holds later.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    header_version: int = HEADER_VERSION
    kind: Literal["training"] = "training"
    scenario_name: str | None = Field(None, description="The bundled scenario's name, if any")
    scenario: dict[str, Any] = Field(description="The scenario as JSON data")
    seed: int = Field(ge=0)
    index: int = Field(0, ge=0)
    rubric: Rubric = Rubric()
    mode: Mode = Field("guided", description="guided, or assessment: no verdict before a try")


@functools.lru_cache(maxsize=64)
def _exercise_cached(header_json: str) -> Exercise:
    header = SessionHeader.model_validate_json(header_json)
    scenario = Scenario.from_mapping(header.scenario, what="body.scenario_spec")
    try:
        exercise = Exercise.from_scenario(scenario, header.seed, header.index)
    except (OverflowError, SimulationStuck) as error:
        raise unsimulable(error) from None
    # In assessment the scenario's own title: a bundled file's name may name the lesson.
    named = header.scenario_name if header.mode == "guided" else None
    title = named or scenario.name or "posted scenario"
    return dataclasses.replace(exercise, name=f"{title} (seed {header.seed}, case {header.index})")


def unsimulable(error: OverflowError | SimulationStuck) -> InvalidInput:
    """A scenario the simulator cannot carry through, as the 422 that names the posted one."""
    if isinstance(error, SimulationStuck):
        problem = f"cannot be simulated ({error})"
    else:
        problem = "moves the clock beyond the calendar"
    return InvalidInput("scenario", [Problem("body.scenario_spec", None, problem)])


def requested_scenario(
    name: str | None, spec: dict[str, Any] | None
) -> tuple[str | None, Scenario]:
    """The scenario a create request names (a bundled ``name``) or posts (``spec``, validated,
    every problem located in the body), with its bundled name if it has one."""
    if name is not None:
        if name not in library.names():
            rule = "must be one of: " + ", ".join(library.names())
            raise InvalidInput.single("session", "body.scenario", name, rule)
        return name, library.load(name)
    assert spec is not None  # the request models ask for exactly one
    try:
        return None, Scenario.from_mapping(spec)
    except InvalidInput as error:
        moved = [
            Problem(
                f"body.scenario_spec.{p.location}" if p.location else "body.scenario_spec",
                p.value,
                p.rule,
            )
            for p in error.problems
        ]
        raise InvalidInput("scenario", moved) from None


def exercise_of(header: SessionHeader) -> Exercise:
    """The exercise a header describes (built once per process for each header: it simulates)."""
    return _exercise_cached(header.model_dump_json())


@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """What one ``act`` or ``advance`` did: its verdict and the events it added."""

    action: str
    accepted: bool
    failures: tuple[Verdict, ...]
    warnings: tuple[Verdict, ...]
    events: list[Any]


def renamed(error: InvalidInput, name: str, field: str) -> InvalidInput:
    """``error`` with the engine's ``name`` for an input replaced by the API's ``field``."""
    problems = [
        Problem(field if p.location == name else p.location, p.value, p.rule)
        for p in error.problems
    ]
    return InvalidInput(field if error.what == name else error.what, problems)


def strict_choices(action: str, data: dict[str, Any]) -> None:
    """Refuse what lax validation would coerce (``"70"`` for 70, ``true`` for 1): the HTTP
    API's data is strict JSON. The engine's own checks (unknown action, measured fields) first."""
    check_choices(action, data)
    try:
        CHOICES[action].model_validate_json(json.dumps(data), strict=True)
    except ValidationError as error:
        raise InvalidInput.from_pydantic(f"data for {action}", error, prefix=action) from None


def _json_size(events: list[Any]) -> int:
    """The bytes ``events`` take as the store writes them (one JSON text each, and a comma)."""
    return sum(len(json.dumps(e, separators=(",", ":"), ensure_ascii=False)) + 1 for e in events)


def _earlier(session_id: str, text: str, point: SessionPoint) -> list[Event]:
    """The events before a checkpoint's last one, from the JSON text of the first
    ``point.version``; ``UnreadableSession`` if they are not the log the checkpoint was bound to
    (read much later than the checkpoint: the rows may have been damaged since)."""
    try:
        events = list(Timeline.from_json(text))
    except (InvalidInput, ValueError, RecursionError) as error:
        raise UnreadableSession(session_id, error) from None
    if len(events) != point.version or events[0] != point.first or events[-1] != point.last:
        raise UnreadableSession(session_id, "its log disagrees with its checkpoint")
    return events[:-1]


def _calendar_safe(what: str) -> InvalidInput:
    return InvalidInput.single(what, what, None, "would move the clock beyond the calendar")


class Session:
    """One stored session: a header and the training session its events rebuild."""

    __slots__ = ("header", "id", "log_bytes", "training")

    def __init__(
        self, session_id: str, header: SessionHeader, training: TrainingSession, log_bytes: int
    ) -> None:
        self.id = session_id
        self.header = header
        self.training = training
        self.log_bytes = log_bytes  # the JSON it holds, as stored: what its memory grows with

    def memory(self) -> int:
        """Bytes this session takes in memory, estimated from above for the cache's bound.

        Measured with tracemalloc: 1.1 to 4.1 times the JSON it holds (long notes at the low
        end, refusals with their deviations at the high end), plus about 7 KB. A session loaded
        from a checkpoint holds the checkpoint and the events after it, until its whole timeline
        is read (then those too).
        """
        return SESSION_BYTES + LOG_FACTOR * self.log_bytes

    @property
    def case(self) -> Case:
        return self.training.case

    # -- Making and restoring ---------------------------------------------------------------

    @classmethod
    def start(cls, session_id: str, header: SessionHeader) -> Session:
        exercise = exercise_of(header)
        try:
            training = exercise.session(rubric=header.rubric, mode=header.mode)
        except OverflowError:
            raise _calendar_safe("case") from None
        return cls(
            session_id, header, training, _json_size(events_to_python(training.case.timeline))
        )

    @classmethod
    def resume(
        cls,
        session_id: str,
        header: dict[str, Any],
        log: str,
        clock: datetime,
        *,
        checkpoint: str | None = None,
        earlier: Callable[[int], str] | None = None,
    ) -> Session:
        """The session as stored: its log (JSON text) replayed, or its checkpoint and the events
        after it (``log``, then), then the clock put where it stood.

        ``earlier(n)`` reads the log's first ``n`` events (JSON text); with a checkpoint it is
        called only if the whole timeline is asked for. The log is the truth, and every
        disagreement with it is refused (``InvalidInput``): a log that does not replay, events
        after a checkpoint that do not follow from it, or a clock not where the log leaves it.
        """
        read = SessionHeader.model_validate(header)
        exercise = exercise_of(read)
        events = Timeline.from_json(log)
        session: Session | None = None
        if checkpoint is None:
            case = Case.replay(events)
            training = TrainingSession(
                case,
                exercise.lab,
                exercise.expert,
                read.rubric,
                exercise=exercise.name,
                mode=read.mode,
            )
        else:
            if earlier is None:
                raise ValueError("a session resumed from a checkpoint needs its earlier events")
            point = SessionPoint.model_validate_json(checkpoint)
            reader = earlier

            def before() -> list[Event]:
                text = reader(point.version)
                if session is not None:
                    session.log_bytes += len(text)
                return _earlier(session_id, text, point)

            training = TrainingSession.continued(
                point,
                before,
                list(events),
                exercise.lab,
                exercise.expert,
                read.rubric,
                exercise=exercise.name,
                mode=read.mode,
            )
            case = training.case
        # An active case's clock stands at its last event; a finished one records no advance,
        # so its clock is kept by the store alone (and cannot be behind its last event).
        behind = clock - case.now
        if behind < timedelta(0) or (behind > timedelta(0) and not case.terminal):
            rule = f"disagrees with the log, which leaves it at {case.now.isoformat()}"
            raise InvalidInput.single(f"session {session_id}", "clock", clock.isoformat(), rule)
        if behind:
            case.clock.advance(behind)
        session = cls(session_id, read, training, len(log) + len(checkpoint or ""))
        return session

    def checkpoint(self) -> str:
        """Where the session stands, as JSON text for the store to keep beside its log."""
        return self.training.point().model_dump_json()

    def header_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.header.model_dump(mode="json", exclude_none=True)
        return data

    def events_json(self, start: int = 0) -> list[Any]:
        return events_to_python(self.case.timeline[start:])

    @property
    def version(self) -> int:
        return len(self.case.timeline)

    @property
    def now(self) -> datetime:
        return self.case.now

    # -- Changing ---------------------------------------------------------------------------

    def act(self, action: str, after: str | None, data: dict[str, Any]) -> Step:
        """Take an action with the trainee's choices; the lab fills in what it measures.

        A refusal is a normal ``Step`` with ``accepted`` False; a measured field in ``data`` is
        an ``InvalidInput`` naming it, and nothing changes.
        """
        strict_choices(action, data)
        start = self.version
        result = self.training.act(action, after, **data)
        failures, warnings = Verdict.all_of(result.failures), Verdict.all_of(result.warnings)
        return self._step(action, result.accepted, failures, warnings, start)

    def advance(self, by: str) -> Step:
        """Move the clock on; returns the events (deadlines fired, the advance itself)."""
        start = self.version
        try:
            self.training.wait(by)
        except InvalidInput as error:  # Case names its parameter, "delta"; the API's is "by"
            raise renamed(error, "delta", "by") from None
        return self._step("advance", True, (), (), start)

    def _step(
        self,
        action: str,
        accepted: bool,
        failures: tuple[Verdict, ...],
        warnings: tuple[Verdict, ...],
        start: int,
    ) -> Step:
        events = self.events_json(start)
        self.log_bytes += _json_size(events)
        return Step(action, accepted, failures, warnings, events)

    # -- Reading ----------------------------------------------------------------------------

    def view(self) -> SessionView:
        """The training session's view, with this session's header."""
        header = self.header
        # The training view is validated as it is made; adding the header needs no second pass.
        return SessionView.model_construct(
            id=self.id,
            kind=header.kind,
            # In assessment the bundled name is not shown: it may name the lesson.
            scenario=header.scenario_name if header.mode == "guided" else None,
            seed=header.seed,
            index=header.index,
            version=self.version,
            **dict(self.training.view()),
        )

    def timeline_text(self) -> str:
        return timeline_table(self.case)
