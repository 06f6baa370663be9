"""The mechanics every ``Case`` runs on: parse, judge, apply, move, fire deadlines.

``Case`` (in ``case``) is the public face; this is the one path its steps take, whoever drives
them. An action is parsed against its row's data model, judged by the row's guards (only the
cheap verdicts, unless every verdict is asked for), written into the record by its data's
``apply``, and moved along the table read back from the shared machine. Armed deadlines fire
when the clock passes them, stamped at the deadline itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import workflow as wf
from .actions import ActionData
from .clock import Clock
from .deadlines import Deadlines, due
from .duration import NonNegativeDuration, format_duration
from .errors import InvalidInput, UnknownAction
from .eventlog import EventLog
from .guards import GUARDS, Facts, Guard, GuardResult
from .models import Approach, Donor, Recipient
from .protocol import Protocol
from .record import CaseRecord
from .timeline import (
    Accepted,
    AutomaticStep,
    DeadlineFired,
    Event,
    Outcome,
    Refused,
    Warned,
    outcome_of,
)

__all__ = ["ActionResult", "Check", "Engine"]

_M = TypeVar("_M", bound=BaseModel)
_DURATION: TypeAdapter[timedelta] = TypeAdapter(NonNegativeDuration)
_ZERO = timedelta(0)
# Steps that bring no data (start_isolation, release, start_infusion …) reuse one frozen instance
# of their data model each, and dump to {} without asking pydantic.
_NO_DATA = {row.data: row.data() for row in wf.ACTIONS.values() if not row.data.model_fields}
_AUTOMATIC_AFTER = frozenset(auto.after for auto in wf.AUTOMATIC)
# Each step's guards, then its warnings, resolved once from their names in the table.
_JUDGES: dict[str, tuple[Guard, ...]] = {
    step.trigger: tuple(GUARDS[name] for name in (*step.guards, *step.warnings))
    for step in wf.STEPS
}
_UNLESS = {auto.trigger: (GUARDS[auto.unless],) for auto in wf.AUTOMATIC}


@dataclass(frozen=True, slots=True)
class Check:
    """What would happen to one action now: accepted or not, and every guard's verdict.

    ``kind`` says whether the action is a step (it moves the case on) or a recording.
    """

    action: str
    kind: wf.Kind
    accepted: bool
    results: tuple[GuardResult, ...]

    @property
    def failures(self) -> tuple[GuardResult, ...]:
        return tuple(r for r in self.results if not r.passed and not r.warning)

    @property
    def warnings(self) -> tuple[GuardResult, ...]:
        return tuple(r for r in self.results if not r.passed and r.warning)


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


def _not_allowed(state: str, action: str) -> GuardResult:
    possible = wf.actions_in(state)
    if possible:
        text = f"{action} is not possible in {state}; possible now: {', '.join(possible)}."
    else:
        text = f"{action} is not possible: the case has ended ({state})."
    return GuardResult(
        "allowed_in_state", "not_allowed", False, text, observed=state, limit=possible
    )


class Engine:
    """A case's state and the mechanics that change it; ``Case`` adds the public API."""

    __slots__ = (
        "_deadlines",
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
    _events: EventLog
    _deadlines: Deadlines
    _outcome: Outcome | None

    @classmethod
    def _blank(
        cls,
        donor: Donor,
        recipient: Recipient,
        approach: Approach,
        protocol: Protocol,
        clock: Clock,
    ) -> Self:
        """A case at the initial state with nothing recorded, not yet created on its timeline."""
        case = object.__new__(cls)
        case.donor, case.recipient, case.approach = donor, recipient, approach
        case.protocol, case.clock = protocol, clock
        case.record = CaseRecord()
        case._state = wf.INITIAL
        case._events = EventLog()
        case._deadlines = Deadlines()
        case._outcome = None
        return case

    def _parse(self, action: str, data: Mapping[str, Any]) -> ActionData:
        row = wf.ACTIONS.get(action)
        if row is None:
            raise UnknownAction(action, wf.ACTIONS)
        if not data:
            known = _NO_DATA.get(row.data)
            if known is not None:
                return known
        try:
            # ``model_validate`` without its wrapper: this runs once per step of every case.
            parsed: ActionData = row.data.__pydantic_validator__.validate_python(data)
            return parsed
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
            rule = "would take the clock past the year 9999"
            raise InvalidInput.single(field, field, format_duration(step), rule) from None

    def _verdicts(
        self, state: str, guards: Iterable[Guard], data: Any, now: datetime, *, every: bool
    ) -> tuple[GuardResult, ...]:
        """The verdicts of ``guards`` on the case now, with the data a step brings.

        With ``every``, each guard explains itself; without, only the guards whose cheap
        ``holds`` fails do, and only their failing verdicts are kept (``act`` keeps no more).
        """
        facts = Facts(
            self.donor, self.recipient, self.approach, self.protocol, self.record, state, now, data
        )
        found: list[GuardResult] = []
        for entry in guards:
            if every:
                found.extend(entry.explain(facts))
            elif not entry.holds(facts):
                found.extend(r for r in entry.explain(facts) if not r.passed)
        return tuple(found)

    def _check(self, state: str, action: str, data: Any, now: datetime) -> Check:
        row = wf.ACTIONS[action]
        step = wf.STEP_FOR[state].get(action)
        if step is None:
            if action in wf.RECORDINGS_IN[state]:
                return Check(action, row.kind, True, ())
            return Check(action, row.kind, False, (_not_allowed(state, action),))
        results = self._verdicts(state, _JUDGES[action], data, now, every=True)
        accepted = all(r.passed or r.warning for r in results)
        return Check(action, row.kind, accepted, results)

    def _perform(self, action: str, data: ActionData, now: datetime) -> ActionResult:
        state, events = self._state, self._events
        start = len(events)
        kind = type(data)
        dumped = (
            {}
            if kind in _NO_DATA
            else kind.__pydantic_serializer__.to_python(data, mode="json", exclude_defaults=True)
        )
        step = wf.STEP_FOR[state].get(action)
        if step is None and action not in wf.RECORDINGS_IN[state]:
            failures: tuple[GuardResult, ...] = (_not_allowed(state, action),)
            warnings: tuple[GuardResult, ...] = ()
        elif step is None or not (judges := _JUDGES[action]):
            failures = warnings = ()
        elif failed := self._verdicts(state, judges, data, now, every=False):
            failures = tuple(r for r in failed if not r.warning)
            warnings = tuple(r for r in failed if r.warning)
        else:
            failures = warnings = ()
        if failures:
            refused = Refused(at=now, action=action, data=dumped, state=state, failures=failures)
            events.append(refused)
            return ActionResult(action, False, state, now, failures, (), (refused,))
        data.apply(self.record, now, state, self.recipient)
        if step is not None:
            self._move(step, now)
        events.append(
            Accepted(at=now, action=action, data=dumped, source=state, target=self._state)
        )
        if warnings:
            events.extend(Warned(at=now, action=action, warning=w) for w in warnings)
        if action in _AUTOMATIC_AFTER:
            self._automatic(action, now)
        if self._state in wf.TERMINAL and self._outcome is None:
            self._outcome = outcome_of(events)
        return ActionResult(action, True, self._state, now, (), warnings, tuple(events[start:]))

    def _move(self, step: wf.Step, now: datetime) -> None:
        self._state = wf.next_state(self._state, step.trigger)
        for name in step.disarms:
            self._deadlines.disarm(name)
        for name in step.arms:
            self._arm(name, now)
        if self._state in wf.TERMINAL:
            self._deadlines.clear()

    def _automatic(self, action: str, now: datetime) -> None:
        for auto in wf.AUTOMATIC:
            step = wf.STEP_FOR[self._state].get(auto.trigger)
            if auto.after != action or step is None:
                continue
            reasons = self._verdicts(self._state, _UNLESS[auto.trigger], None, now, every=False)
            if not reasons:
                continue
            source = self._state
            self._move(step, now)
            self._events.append(
                AutomaticStep(
                    at=now,
                    trigger=auto.trigger,
                    source=source,
                    target=self._state,
                    reason=reasons[0],
                )
            )

    def _arm(self, name: str, now: datetime) -> None:
        self._deadlines.arm(name, due(name, self.protocol, self.donor.cross_clamp_at, now))

    def _sync(self) -> None:
        if self._deadlines.soonest is not None:
            self._fire_due(self.clock.now())

    def _fire_due(self, now: datetime, *, inclusive: bool = False) -> None:
        """Fire every armed deadline the clock has passed (or reached, if ``inclusive``)."""
        deadlines = self._deadlines
        while (at_due := deadlines.soonest) is not None:
            if at_due > now or (at_due == now and not inclusive):
                return
            name = deadlines.first_due()
            spec = wf.DEADLINES[name]
            source = self._state
            # Stamped at the deadline itself; only a case created after its deadline had
            # already passed (cold ischaemia) is stamped at its creation instead.
            at = max(at_due, self._events[-1].at)
            self._state = wf.next_state(source, "abort")
            deadlines.clear()
            self._events.append(
                DeadlineFired(at=at, deadline=name, code=spec.code, due=at_due, source=source)
            )
            self._outcome = Outcome("aborted", spec.code, at)
