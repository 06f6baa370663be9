"""``Case``: one transplant case moving through the workflow on a clock.

The same ``Case`` serves a simulator (a policy picks each step) and a trainee (a person does).
It asks the workflow table what is possible, the guards whether it may happen, fires deadlines
as the clock passes them, and writes every step, refusal and consequence to its timeline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import workflow as wf
from .actions import DATA, apply
from .clock import Clock, SimulatedClock
from .duration import NonNegativeDuration
from .errors import InvalidInput, Problem, ReplayMismatch, SnapshotIncompatible, UnknownAction
from .guards import GUARDS, Facts, GuardResult
from .models import Approach, Donor, Recipient
from .protocol import Protocol
from .record import CaseRecord
from .timeline import (
    INPUT_KINDS,
    SCHEMA_VERSION,
    Accepted,
    Advanced,
    AutomaticStep,
    CaseSnapshot,
    Created,
    DeadlineFired,
    Event,
    Refused,
    Timeline,
    Warned,
)
from .values import value

__all__ = ["ActionResult", "Case", "Check", "Outcome", "outcome_of"]

_M = TypeVar("_M", bound=BaseModel)
_DURATION: TypeAdapter[timedelta] = TypeAdapter(NonNegativeDuration)
_ZERO = timedelta(0)
# Actions whose data model has no fields: their data always dumps to {}, without asking pydantic.
_NO_FIELDS = frozenset(model for model in DATA.values() if not model.model_fields)
# ... and one frozen instance each, for the many steps that bring no data (start_isolation,
# release, start_infusion …): validating {} would give an equal value every time.
_NO_DATA = {model: model() for model in _NO_FIELDS}
_AUTOMATIC_AFTER = frozenset(auto.after for auto in wf.AUTOMATIC)


@value
@dataclass(frozen=True, slots=True)
class Check:
    """What would happen to one action now: accepted or not, and every guard's verdict."""

    action: str
    accepted: bool
    results: tuple[GuardResult, ...]

    @property
    def failures(self) -> tuple[GuardResult, ...]:
        return tuple(r for r in self.results if not r.passed and not r.warning)

    @property
    def warnings(self) -> tuple[GuardResult, ...]:
        return tuple(r for r in self.results if not r.passed and r.warning)


@value
@dataclass(frozen=True, slots=True)
class ActionResult:
    """What ``Case.act`` did: accepted or refused (with every failed guard), and the events."""

    action: str
    accepted: bool
    state: str
    at: datetime
    failures: tuple[GuardResult, ...]
    warnings: tuple[GuardResult, ...]
    events: tuple[Event, ...]

    def __bool__(self) -> bool:
        return self.accepted


@value
@dataclass(frozen=True, slots=True)
class Outcome:
    """How a case ended: ``completed``, ``aborted`` or ``discarded``, with a code and time."""

    status: Literal["completed", "aborted", "discarded"]
    code: str | None
    at: datetime


def _not_allowed(state: str, action: str) -> GuardResult:
    possible = wf.actions_in(state)
    if possible:
        text = f"{action} is not possible in {state}; possible now: {', '.join(possible)}."
    else:
        text = f"{action} is not possible: the case has ended ({state})."
    return GuardResult("allowed_in_state", "not_allowed", False, text, observed=state,
                       limit=possible)  # fmt: skip


def _validate(model: type[_M], value: Any, prefix: str, what: str | None = None) -> _M:
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise InvalidInput.from_pydantic(what or prefix, error, prefix=prefix) from None


class Case:
    """One case. Make it with ``Case.new``, ``Case.replay`` or ``Case.restore``."""

    __slots__ = (
        "_deadlines",
        "_due",
        "_engine",
        "_events",
        "_outcome",
        "_state",
        "approach",
        "clock",
        "donor",
        "protocol",
        "recipient",
        "record",
    )

    donor: Donor
    recipient: Recipient
    approach: Approach
    protocol: Protocol
    clock: Clock
    record: CaseRecord
    _state: str
    _events: list[Event]
    _deadlines: dict[str, datetime]
    _due: datetime | None  # the soonest of ``_deadlines``, kept by ``_armed`` for cheap reads
    _outcome: Outcome | None
    _engine: wf.Engine

    # -- Making a case ----------------------------------------------------------------------

    @classmethod
    def new(
        cls,
        donor: Donor | Mapping[str, Any],
        recipient: Recipient | Mapping[str, Any],
        approach: Approach | str,
        protocol: Protocol | None = None,
        clock: Clock | None = None,
        *,
        engine: wf.Engine = "transitions",
    ) -> Case:
        """A case at ``harvest.procured``; the clock starts at cross-clamp unless one is given.

        ``engine="compiled"`` fires steps through the table compiled to a dictionary instead of
        the shared ``transitions`` machine: the same timeline, a fraction of the cost per step.
        """
        donor = _validate(Donor, donor, "donor")
        recipient = _validate(Recipient, recipient, "recipient")
        try:
            approach = Approach(approach)
        except ValueError:
            raise InvalidInput.single(
                "case", "approach", approach, "must be one of: " + ", ".join(Approach)
            ) from None
        protocol = _validate(Protocol, protocol if protocol is not None else Protocol(), "protocol")
        clock = clock if clock is not None else SimulatedClock(donor.cross_clamp_at)
        now = clock.now()
        if now < donor.cross_clamp_at:
            raise InvalidInput.single(
                "case", "clock", now.isoformat(),
                f"must not be before the donor's cross-clamp ({donor.cross_clamp_at.isoformat()})",
            )  # fmt: skip
        case = cls._blank(donor, recipient, approach, protocol, clock, engine)
        case._events.append(Created(at=now, donor=donor, recipient=recipient,
                                    approach=approach, protocol=protocol))  # fmt: skip
        for name in wf.ARMED_AT_START:
            case._arm(name, now)
        case._fire_due(now)
        return case

    @classmethod
    def _blank(
        cls, donor: Donor, recipient: Recipient, approach: Approach, protocol: Protocol,
        clock: Clock, engine: wf.Engine = "transitions",
    ) -> Case:  # fmt: skip
        if engine not in ("transitions", "compiled"):
            raise InvalidInput.single("case", "engine", engine,
                                      "must be 'transitions' or 'compiled'")  # fmt: skip
        case = object.__new__(cls)
        case._engine = engine
        case.donor, case.recipient, case.approach = donor, recipient, approach
        case.protocol, case.clock = protocol, clock
        case.record = CaseRecord()
        case._state = wf.INITIAL
        case._events = []
        case._deadlines = {}
        case._due = None
        case._outcome = None
        return case

    # -- Reading ----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The current state, ``phase.step`` (or ``completed`` / ``aborted`` / ``discarded``)."""
        self._sync()
        return self._state

    @property
    def phase(self) -> str:
        return wf.phase_of(self.state)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def terminal(self) -> bool:
        return self.state in wf.TERMINAL

    @property
    def outcome(self) -> Outcome | None:
        """``None`` while the case goes on; how it ended once it has."""
        self._sync()
        return self._outcome

    @property
    def timeline(self) -> Timeline:
        return Timeline(self._events)

    @property
    def deadlines(self) -> dict[str, datetime]:
        """The armed deadlines and when each falls due."""
        self._sync()
        return dict(self._deadlines)

    @property
    def next_deadline(self) -> datetime | None:
        """When the soonest armed deadline falls due; ``None`` if none is armed."""
        self._sync()
        return self._due

    def time_left(self) -> dict[str, timedelta]:
        """Time left before each armed deadline (the soonest first)."""
        now = self.clock.now()
        due = sorted(self.deadlines.items(), key=lambda item: item[1])
        return {name: at - now for name, at in due}

    def allowed(self) -> list[Check]:
        """Every action possible in this state, each with the guards that would fail now.

        Guards that need data an action brings (``digest_ieq`` …) are checked as if none were
        given; ``check`` with the data says whether that data would do.
        """
        state = self.state
        now = self.clock.now()
        return [self._check(state, action, None, now) for action in wf.actions_in(state)]

    def check(self, action: str, **data: Any) -> Check:
        """The verdict of every guard on ``action`` with ``data``, without doing it."""
        parsed = self._parse(action, data)
        return self._check(self.state, action, parsed, self.clock.now())

    # -- Changing ---------------------------------------------------------------------------

    def act(self, action: str, after: timedelta | str | None = None, **data: Any) -> ActionResult:
        """Take ``action`` (after ``after`` has passed on the clock), or say why not.

        A refused action changes nothing but the timeline, which records the refusal. The time
        in ``after`` passes whether or not the action is then accepted. Malformed input (an
        unknown action, data of the wrong type or range) raises ``InvalidInput`` and changes
        nothing at all.
        """
        parsed = self._parse(action, data)
        if after is not None:
            self._wind("after", self._duration("after", after))
        now = self.clock.now()
        if self._due is not None:
            self._fire_due(now)
        return self._perform(action, parsed, now)

    def advance(self, delta: timedelta | str) -> tuple[Event, ...]:
        """Move the clock on by ``delta``; deadlines it passes fire, each at its own time."""
        step = self._duration("delta", delta)
        start = len(self._events)
        was_active = self._state not in wf.TERMINAL
        self._wind("delta", step)
        now = self.clock.now()
        self._fire_due(now)
        if was_active:
            self._events.append(Advanced(at=now, by=step))
        return tuple(self._events[start:])

    def abort(self, reason: str) -> ActionResult:
        """Stop the case with ``reason`` (a code such as ``recipient_unstable``)."""
        return self.act("abort", reason=reason)

    # -- Event sourcing ---------------------------------------------------------------------

    @classmethod
    def replay(
        cls, timeline: Iterable[Event], clock: Clock | None = None, *,
        engine: wf.Engine = "transitions",
    ) -> Case:  # fmt: skip
        """Rebuild a case from its timeline; a timeline that does not replay to itself raises.

        ``clock``, if given, must show the time of the first event; it ends at the last.
        """
        events = list(timeline)
        if not events or not isinstance(events[0], Created):
            raise InvalidInput.single("timeline", "0", events[0] if events else None,
                                      "must start with a 'created' event")  # fmt: skip
        first = events[0]
        sim = clock if clock is not None else SimulatedClock(first.at)
        case = cls.new(first.donor, first.recipient, first.approach, first.protocol, sim,
                       engine=engine)  # fmt: skip
        for index, event in enumerate(events[1:], start=1):
            if event.kind not in INPUT_KINDS:
                following = events[index + 1] if index + 1 < len(events) else None
                if isinstance(event, DeadlineFired) and not isinstance(following, Advanced):
                    # It fired on a read (or during an act's wait). A deadline fired by an
                    # ``advance`` is followed by that advance's event: replaying the advance
                    # fires it again, and firing it here first would lose the advance's event.
                    case._fire_due(event.due, inclusive=True)
                continue
            wait = event.at - sim.now()
            if wait < timedelta(0):
                raise ReplayMismatch(index, event, f"an event before {sim.now().isoformat()}")
            if isinstance(event, Advanced):
                # On a live clock, time also passed before the advance: catch up to its start.
                catch_up = event.at - event.by - sim.now()
                if catch_up < timedelta(0):
                    raise ReplayMismatch(index, event, "an advance that began in the past")
                sim.advance(catch_up)
                case.advance(event.by)
            elif isinstance(event, Accepted | Refused):
                sim.advance(wait)
                case.act(event.action, **event.data)
        produced = case._events
        for index, (want, got) in enumerate(zip(events, produced, strict=False)):
            if want != got:
                raise ReplayMismatch(index, want, got)
        if len(produced) != len(events):
            index = min(len(produced), len(events))
            raise ReplayMismatch(index, events[index : index + 1], produced[index : index + 1])
        return case

    def snapshot(self) -> CaseSnapshot:
        """Everything needed to go on exactly from here: ``Case.restore(snapshot)``."""
        self._sync()
        return CaseSnapshot.model_construct(
            schema_version=SCHEMA_VERSION,
            now=self.clock.now(),
            state=self._state,
            deadlines=dict(self._deadlines),
            record=dataclasses.replace(self.record),
            timeline=list(self._events),
        )

    @classmethod
    def restore(
        cls, snapshot: CaseSnapshot | Mapping[str, Any] | str | bytes, clock: Clock | None = None,
        *, engine: wf.Engine = "transitions",
    ) -> Case:  # fmt: skip
        """A case that goes on exactly where the snapshot left it (clock included)."""
        snap = _read_snapshot(snapshot)
        first = snap.timeline[0] if snap.timeline else None
        if not isinstance(first, Created):
            raise InvalidInput.single("snapshot", "timeline.0", first,
                                      "must be the case's 'created' event")  # fmt: skip
        problems = [Problem(f"deadlines.{n}", n, "is not a deadline")
                    for n in snap.deadlines if n not in wf.DEADLINES]  # fmt: skip
        if snap.state not in wf.STATES:
            problems.append(Problem("state", snap.state, "is not a state of the workflow"))
        if problems:
            raise InvalidInput("snapshot", problems)
        sim = clock if clock is not None else SimulatedClock(snap.now)
        if sim.now() < snap.now:
            raise InvalidInput.single(
                "snapshot",
                "clock",
                sim.now().isoformat(),
                f"must not be before the snapshot's {snap.now.isoformat()}",
            )
        case = cls._blank(first.donor, first.recipient, first.approach, first.protocol, sim,
                          engine)  # fmt: skip
        case._state = snap.state
        case.record = dataclasses.replace(snap.record)
        case._deadlines = dict(snap.deadlines)
        case._armed()
        case._events = list(snap.timeline)
        case._outcome = outcome_of(case._events) if snap.state in wf.TERMINAL else None
        if snap.state in wf.TERMINAL and case._outcome is None:
            raise ReplayMismatch(len(case._events), "a terminal event", None)
        return case

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Case):
            return NotImplemented
        return (
            self._state == other._state
            and self.record == other.record
            and self._deadlines == other._deadlines
            and self._events == other._events
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Case {self.recipient.id} {self._state} at {self.clock.now().isoformat()}>"

    # -- Inside -----------------------------------------------------------------------------

    def _parse(self, action: str, data: Mapping[str, Any]) -> BaseModel:
        model = DATA.get(action)
        if model is None or action in wf.AUTOMATIC_TRIGGERS:
            raise UnknownAction(action, wf.ACTIONS)
        if not data:
            known = _NO_DATA.get(model)
            if known is not None:
                return known
        try:
            # ``model_validate`` without its wrapper: this runs once per step of every case.
            return model.__pydantic_validator__.validate_python(data)  # type: ignore[no-any-return]
        except ValidationError as error:
            raise InvalidInput.from_pydantic(f"data for {action}", error, prefix=action) from None

    @staticmethod
    def _duration(field: str, value: timedelta | str) -> timedelta:
        # A timedelta that is not negative is what validation would return anyway; the
        # simulator brings one with every move, so skip the validator for it.
        if type(value) is timedelta and value >= _ZERO:
            return value
        try:
            return _DURATION.validate_python(value)
        except ValidationError as error:
            raise InvalidInput.from_pydantic(field, error, prefix=field) from None

    def _wind(self, field: str, step: timedelta) -> None:
        try:
            self.clock.advance(step)
        except OverflowError:  # past datetime.max; the clock has not moved
            raise InvalidInput.past_the_calendar(field, step) from None

    def _facts(self, state: str, data: Any, now: datetime, only_failures: bool = False) -> Facts:
        return Facts(self.donor, self.recipient, self.approach, self.protocol, self.record,
                     state, now, data, only_failures)  # fmt: skip

    def _check(self, state: str, action: str, data: Any, now: datetime) -> Check:
        step = wf.STEP_FOR[state].get(action)
        if step is None:
            if action in wf.RECORDINGS_IN[state]:
                return Check(action, True, ())
            return Check(action, False, (_not_allowed(state, action),))
        facts = self._facts(state, data, now)
        results = tuple(r for name in step.guards for r in GUARDS[name](facts))
        warnings = tuple(r for name in step.warnings for r in GUARDS[name](facts))
        accepted = all(r.passed for r in results)
        return Check(action, accepted, results + warnings)

    def _perform(self, action: str, data: BaseModel, now: datetime) -> ActionResult:
        state, events = self._state, self._events
        start = len(events)
        kind = type(data)
        # ``model_dump(mode="json", exclude_defaults=True)`` without its wrapper (hot path).
        dumped = {} if kind in _NO_FIELDS else kind.__pydantic_serializer__.to_python(
            data, mode="json", exclude_defaults=True
        )  # fmt: skip
        step = wf.STEP_FOR[state].get(action)
        failures, warnings = self._failures(state, action, step, data, now)
        if failures:
            refused = Refused(at=now, action=action, data=dumped, state=state, failures=failures)
            events.append(refused)
            return ActionResult(action, False, state, now, failures, (), (refused,))
        apply(self.record, action, data, now, state, self.recipient)
        if step is not None:
            self._move(step, now)
        events.append(Accepted(at=now, action=action, data=dumped, source=state,
                               target=self._state))  # fmt: skip
        if warnings:
            events.extend(Warned(at=now, action=action, warning=w) for w in warnings)
        if action in _AUTOMATIC_AFTER:
            self._automatic(action, now)
        if self._state in wf.TERMINAL and self._outcome is None:
            self._outcome = outcome_of(events)
        return ActionResult(action, True, self._state, now, (), warnings, tuple(events[start:]))

    def _failures(
        self, state: str, action: str, step: wf.Step | None, data: Any, now: datetime
    ) -> tuple[tuple[GuardResult, ...], tuple[GuardResult, ...]]:
        """What ``_check`` would give as ``failures`` and ``warnings``, for ``act``.

        Only failures are kept (in the refusal, the warning events, the result), so the guards
        are asked for failures only: passing verdicts, and the sentences that explain them,
        would be built for nobody (see ``Facts``). A test holds this equal to ``_check``.
        """
        if step is None:
            if action in wf.RECORDINGS_IN[state]:
                return (), ()
            return (_not_allowed(state, action),), ()
        if not step.guards and not step.warnings:
            return (), ()
        facts = self._facts(state, data, now, only_failures=True)
        failed = [r for name in step.guards for r in GUARDS[name](facts)]
        if not failed and not step.warnings:
            return (), ()
        failed += [r for name in step.warnings for r in GUARDS[name](facts)]
        return (tuple(r for r in failed if not r.warning), tuple(r for r in failed if r.warning))

    def _move(self, step: wf.Step, now: datetime) -> None:
        wf.fire(self, step.trigger, self._engine)
        for name in step.disarms:
            self._deadlines.pop(name, None)
        for name in step.arms:
            self._arm(name, now)
        if self._state in wf.TERMINAL:
            self._deadlines.clear()
        self._armed()

    def _automatic(self, action: str, now: datetime) -> None:
        for auto in wf.AUTOMATIC:
            step = wf.STEP_FOR[self._state].get(auto.trigger)
            if auto.after != action or step is None:
                continue
            facts = self._facts(self._state, None, now, only_failures=True)
            reason = next((r for r in GUARDS[auto.unless](facts) if not r.passed), None)
            if reason is None:
                continue
            source = self._state
            self._move(step, now)
            self._events.append(AutomaticStep(at=now, trigger=auto.trigger, source=source,
                                              target=self._state, reason=reason))  # fmt: skip

    def _arm(self, name: str, now: datetime) -> None:
        if name in self._deadlines:
            return  # armed once; a later step that arms it again does not restart it
        spec = wf.DEADLINES[name]
        start = self.donor.cross_clamp_at if spec.from_cross_clamp else now
        try:
            self._deadlines[name] = start + getattr(self.protocol, spec.window)
        except OverflowError:
            # Due after the calendar ends: it can never pass. Arming runs after a step has
            # changed the record, so it must not fail half-way through that step.
            self._deadlines[name] = datetime.max.replace(tzinfo=UTC)
        self._armed()

    def _armed(self) -> None:
        """Keep ``_due`` the soonest deadline: every change to ``_deadlines`` ends here."""
        self._due = min(self._deadlines.values()) if self._deadlines else None

    def _sync(self) -> None:
        if self._due is not None:
            self._fire_due(self.clock.now())

    def _fire_due(self, now: datetime, *, inclusive: bool = False) -> None:
        """Fire every armed deadline the clock has passed (or reached, if ``inclusive``)."""
        while self._due is not None:
            due = self._due
            if due > now or (due == now and not inclusive):
                return
            # The first armed of those due at that moment, as ``min`` over the items would give.
            name = next(n for n, at in self._deadlines.items() if at == due)
            spec = wf.DEADLINES[name]
            source = self._state
            # Stamped at the deadline itself; only a case created after its deadline had
            # already passed (cold ischaemia) is stamped at its creation instead.
            at = max(due, self._events[-1].at)
            wf.fire(self, "abort", self._engine)
            self._deadlines.clear()
            self._due = None
            self._events.append(DeadlineFired(at=at, deadline=name, code=spec.code, due=due,
                                              source=source))  # fmt: skip
            self._outcome = Outcome("aborted", spec.code, at)


def outcome_of(events: Sequence[Event]) -> Outcome | None:
    """How the case of ``events`` ended, or ``None`` while it goes on (read from the timeline)."""
    for event in reversed(events):
        if isinstance(event, DeadlineFired):
            return Outcome("aborted", event.code, event.at)
        if isinstance(event, Accepted) and event.target in wf.TERMINAL:
            status: Literal["completed", "aborted", "discarded"] = event.target  # type: ignore[assignment]
            code = (
                event.data.get("reason") if status != "completed" else event.data.get("igls_grade")
            )
            if status == "discarded" and code is None:
                code = "release_rejected"
            return Outcome(status, code, event.at)
    return None


def _read_snapshot(value: CaseSnapshot | Mapping[str, Any] | str | bytes) -> CaseSnapshot:
    if isinstance(value, CaseSnapshot):
        if value.schema_version != SCHEMA_VERSION:
            raise SnapshotIncompatible(value.schema_version, SCHEMA_VERSION)
        return value
    try:
        if isinstance(value, str | bytes):
            raw = TypeAdapter(dict[str, Any]).validate_json(value)
        else:
            raw = dict(value)
        version = raw.get("schema_version")
        if version != SCHEMA_VERSION:
            raise SnapshotIncompatible(version, SCHEMA_VERSION)
        return CaseSnapshot.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput.from_pydantic("snapshot", error) from None
