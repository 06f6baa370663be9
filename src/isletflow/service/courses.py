"""What a course session *is* to the service: a trainee's recipient course (``CourseSession``)
stored as the inputs that made it, each with what it gave.

A course is stored in the one session store, beside the procedure sessions, as a header (what
it was made from: the scenario as data, its bundled name, the seed, the recipient's index, the
mode and the ``CourseRubric``; ``kind: "course"``) and a log of **inputs**, one entry per change:

- ``{"act": {"action", "after", "data"}, "events": [...]}``: an action of the procedure being
  played, and the events it added to that procedure's case;
- ``{"advance": {"by"}, "events": [...]}``: the procedure's clock moved on;
- ``{"decide": {"reinfuse"}, "decision": {...}}``: a re-infusion decision, as recorded.

Why inputs and not the procedures' events: a course's procedures are not made by the client but
by the course (the next donor's case starts when a decision is taken, from the slot
``simulate_course`` gives it), so the one thing that rebuilds a course is the course session
itself, fed the same inputs (``CourseSession``'s own replay, as ``restore`` does). Each entry
keeps what its input gave, and a replay that gives anything else is refused: an entry edited
behind the service's back (even with its digests recomputed) makes the course unreadable (410),
never a different course. Every ``checkpoint_every`` entries the store keeps the
``CourseSessionSnapshot`` beside the log (``restore`` checks it against its own replay), so a
load restores it and feeds only the entries after it.

The version a client sends back is the number of inputs taken (refused actions and refused
decisions included: both are recorded and scored, as in Python and the terminal).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from ..errors import InvalidInput
from ..scenario import Scenario
from ..simulation import SimulationStuck
from ..timeline import events_to_python
from ..training.course_debrief import CourseDebrief, CourseRubric, CourseScore, Decision
from ..training.course_session import (
    CourseSession,
    CourseSessionSnapshot,
    CourseView,
    course_title,
)
from ..training.view import Mode, Verdict, withholds
from .sessions import renamed, strict_choices, unsimulable

__all__ = ["CourseHeader", "CourseSessionView", "CourseStep", "StoredCourse"]

COURSE_HEADER_VERSION = 1
COURSE_BYTES = 192 * 1024
PROCEDURE_BYTES = 96 * 1024
"""A course's memory beside its log: ``COURSE_BYTES`` and ``PROCEDURE_BYTES`` for each
procedure played (its course, the expert's, each procedure's session; measured with tracemalloc
after the expert's play: 247 KB with one procedure, 316 KB with two, 450 KB with three, its log
included)."""
LOG_FACTOR = 5
"""A course's memory per byte of its log's JSON, at most (as a procedure session's)."""


class CourseHeader(BaseModel):
    """What a course session was made from; stored once, never changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    header_version: int = COURSE_HEADER_VERSION
    kind: Literal["course"] = "course"
    scenario_name: str | None = Field(None, description="The bundled scenario's name, if any")
    scenario: dict[str, Any] = Field(description="The scenario as JSON data")
    seed: int = Field(ge=0)
    index: int = Field(0, ge=0, description="Which recipient of the scenario")
    rubric: CourseRubric = CourseRubric()
    mode: Mode = "guided"


class CourseSessionView(CourseView):
    """A course session's state: the ``CourseView`` and what a client needs to change it."""

    id: str
    kind: Literal["course"] = Field(description="What the session runs")
    scenario: str | None = Field(
        description="The bundled scenario's name; None if posted or in assessment mode"
    )
    seed: int
    index: int = Field(description="Which recipient of the scenario")
    version: int = Field(
        description="Inputs taken (actions, advances, decisions); send it back as expected_version"
    )


@dataclasses.dataclass(frozen=True, slots=True)
class CourseStep:
    """What one input did: the log entry the store keeps (``events``, one), and its answer."""

    events: list[Any]
    action: str
    accepted: bool
    failures: tuple[Verdict, ...] = ()
    warnings: tuple[Verdict, ...] = ()
    added: list[Any] = dataclasses.field(default_factory=list)
    decision: Decision | None = None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class _Act(_Frozen):
    action: str
    after: str | None
    data: dict[str, Any]


class _Advance(_Frozen):
    by: str


class _Decide(_Frozen):
    reinfuse: bool


class _Entry(_Frozen):
    act: _Act | None = None
    advance: _Advance | None = None
    decide: _Decide | None = None
    events: list[Any] | None = None
    decision: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_input(self) -> _Entry:
        inputs = [self.act, self.advance, self.decide]
        if sum(i is not None for i in inputs) != 1:
            raise ValueError("must hold exactly one input: act, advance or decide")
        if (self.decide is None) != (self.decision is None) or (self.decide is None) == (
            self.events is None
        ):
            raise ValueError("must hold what its input gave: events, or the decision")
        return self


_ENTRIES: TypeAdapter[list[_Entry]] = TypeAdapter(list[_Entry])


class _Point(BaseModel):
    """The checkpoint: the snapshot after the first ``version`` inputs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    snapshot: CourseSessionSnapshot


def _started(header: CourseHeader) -> CourseSession:
    scenario = Scenario.from_mapping(header.scenario, what="body.scenario_spec")
    # In assessment the scenario's own title: a bundled file's name may name the lesson.
    named = header.scenario_name if header.mode == "guided" else None
    title = named or scenario.name or "posted scenario"
    try:
        return CourseSession(
            scenario,
            header.seed,
            header.index,
            rubric=header.rubric,
            mode=header.mode,
            exercise=course_title(title, header.seed, header.index),
        )
    except (OverflowError, SimulationStuck) as error:
        raise unsimulable(error) from None


def _plain(data: Any) -> Any:
    """``data`` as the store reads it back (JSON's own types), to compare a replay with."""
    return json.loads(json.dumps(data))


def shown_course_score(score: CourseScore, mode: Mode, finished: bool) -> CourseScore:
    """``score`` as the trainee may see it now: in an assessment still going on, each decision's
    deviation without its reasons (they name the protocol's rule), as ``shown_score`` does."""
    if not withholds(mode, finished):
        return score
    hidden = tuple(d.model_copy(update={"reasons": ()}) for d in score.deviations)
    return score.model_copy(update={"deviations": hidden})


class StoredCourse:
    """One stored course session: a header and the ``CourseSession`` its inputs rebuild."""

    __slots__ = ("_base", "_entries", "header", "id", "log_bytes", "training")

    def __init__(self, session_id: str, header: CourseHeader, training: CourseSession) -> None:
        self.id = session_id
        self.header = header
        self.training = training
        self.log_bytes = 0
        self._base = 0  # inputs before the checkpoint it was loaded from (not held)
        self._entries: list[Any] = []

    @classmethod
    def start(cls, session_id: str, header: CourseHeader) -> StoredCourse:
        return cls(session_id, header, _started(header))

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
    ) -> StoredCourse:
        """The course as stored: its checkpoint restored (if any), then each input after it
        fed again and checked against what it gave; any disagreement is an ``InvalidInput``."""
        del earlier  # every entry after the checkpoint is in ``log``; none before is needed
        read = CourseHeader.model_validate(header)
        entries = _ENTRIES.validate_json(log)
        if checkpoint is None:
            stored = cls(session_id, read, _started(read))
        else:
            point = _Point.model_validate_json(checkpoint)
            snap = point.snapshot
            made = (snap.scenario, snap.seed, snap.index, snap.rubric, snap.mode)
            if made != (read.scenario, read.seed, read.index, read.rubric, read.mode):
                rule = "must be of the course its header describes"
                raise InvalidInput.single(f"course {session_id}", "checkpoint", None, rule)
            stored = cls(session_id, read, CourseSession.restore(snap))
            stored._base = point.version
        for n, entry in enumerate(entries):
            stored._replay(stored._base + n, entry)
        if clock != stored.now:
            rule = f"disagrees with the log, which leaves it at {stored.now.isoformat()}"
            raise InvalidInput.single(f"course {session_id}", "clock", clock.isoformat(), rule)
        stored.log_bytes = len(log) + len(checkpoint or "")
        return stored

    def _replay(self, n: int, entry: _Entry) -> None:
        given: Any
        recorded: Any
        if entry.act is not None:
            act = entry.act
            step = self.act(act.action, act.after, act.data)
            given, recorded = step.added, entry.events
        elif entry.advance is not None:
            step = self.advance(entry.advance.by)
            given, recorded = step.added, entry.events
        elif entry.decide is not None:
            step = self.decide(entry.decide.reinfuse)
            assert step.decision is not None
            given, recorded = step.decision.model_dump(mode="json"), entry.decision
        else:
            raise InvalidInput.single("course log", f"log.{n}", None, "must be an input")
        if _plain(given) != recorded:
            rule = "must give again what it gave when it was taken"
            raise InvalidInput.single("course log", f"log.{n}", step.action, rule)

    # -- What the registry sees -------------------------------------------------------------

    def memory(self) -> int:
        """Bytes this course takes in memory, estimated from above for the cache's bound."""
        played = len(self.training.procedures)
        return COURSE_BYTES + PROCEDURE_BYTES * played + LOG_FACTOR * self.log_bytes

    def checkpoint(self) -> str:
        point = _Point(version=self.version, snapshot=self.training.snapshot())
        return point.model_dump_json()

    def header_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.header.model_dump(mode="json", exclude_none=True)
        return data

    def events_json(self, start: int = 0) -> list[Any]:
        """The log's entries from ``start`` (those this process holds: since its checkpoint)."""
        return self._entries[max(0, start - self._base) :]

    @property
    def version(self) -> int:
        return self._base + len(self._entries)

    @property
    def now(self) -> datetime:
        """The procedure's clock while one is played, else the course's."""
        current = self.training.current
        return current.case.now if current is not None else self.training.course.now

    # -- Changing ---------------------------------------------------------------------------

    def act(self, action: str, after: str | None, data: dict[str, Any]) -> CourseStep:
        """An action of the procedure being played (as ``Session.act``: strict data, the lab
        measures); a 422 naming ``stage`` when no procedure is being played."""
        strict_choices(action, data)
        current = self.training.current
        start = len(current.case.timeline) if current is not None else 0
        result = self.training.act(action, after, **data)
        assert current is not None  # act refuses when there is none
        added = events_to_python(current.case.timeline[start:])
        entry = {"act": {"action": action, "after": after, "data": data}, "events": added}
        failures, warnings = Verdict.all_of(result.failures), Verdict.all_of(result.warnings)
        return self._logged(
            entry, CourseStep([entry], action, result.accepted, failures, warnings, added)
        )

    def advance(self, by: str) -> CourseStep:
        """Move the procedure's clock on; deadlines it passes fire."""
        current = self.training.current
        start = len(current.case.timeline) if current is not None else 0
        try:
            self.training.wait(by)
        except InvalidInput as error:  # Case names its parameter, "delta"; the API's is "by"
            raise renamed(error, "delta", "by") from None
        assert current is not None  # wait refuses when there is none
        added = events_to_python(current.case.timeline[start:])
        entry = {"advance": {"by": by}, "events": added}
        return self._logged(entry, CourseStep([entry], "advance", True, added=added))

    def decide(self, reinfuse: bool) -> CourseStep:
        """The re-infusion decision (``CourseSession.decide``): one the rule bars is refused
        with its reasons, recorded (and scored), and changes nothing in the course."""
        decision = self.training.decide(reinfuse)
        entry = {"decide": {"reinfuse": reinfuse}, "decision": decision.model_dump(mode="json")}
        step = CourseStep([entry], "decide", decision.accepted, decision=decision)
        return self._logged(entry, step)

    def _logged(self, entry: dict[str, Any], step: CourseStep) -> CourseStep:
        self._entries.append(entry)
        self.log_bytes += len(json.dumps(entry, separators=(",", ":"), ensure_ascii=False)) + 1
        return step

    # -- Reading ----------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.training.finished

    def view(self) -> CourseSessionView:
        """The course's view with this session's header (an assessment's score withheld as
        ``score`` withholds it)."""
        header, seen = self.header, self.training.view()
        score = shown_course_score(seen.score, header.mode, seen.stage == "ended")
        return CourseSessionView.model_construct(
            id=self.id,
            kind="course",
            # In assessment the bundled name is not shown: it may name the lesson.
            scenario=header.scenario_name if header.mode == "guided" else None,
            seed=header.seed,
            index=header.index,
            version=self.version,
            **{**dict(seen), "score": score},
        )

    def score(self) -> CourseScore:
        return shown_course_score(self.training.score(), self.header.mode, self.finished)

    def debrief(self) -> CourseDebrief:
        """The course's debrief; in an assessment, only once the course has ended (422)."""
        if withholds(self.header.mode, self.finished):
            rule = "gives its debrief once the course has ended"
            raise InvalidInput.single("course debrief", "mode", self.header.mode, rule)
        return self.training.debrief()
