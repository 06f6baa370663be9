"""``Case``: one transplant case moving through the workflow on a clock.

The same ``Case`` serves a simulator (a policy picks each step) and a trainee (a person does).
It asks the workflow table what is possible, the guards whether it may happen, fires deadlines
as the clock passes them, and writes every step, refusal and consequence to its timeline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from . import workflow as wf
from .clock import Clock, SimulatedClock
from .deadlines import ArmedDeadline, Deadlines
from .engine import ActionResult, Check, Engine
from .errors import InvalidInput, Problem, ReplayMismatch
from .eventlog import EventLog
from .models import Approach, Donor, Recipient, validated
from .protocol import Protocol
from .timeline import (
    INPUT_KINDS,
    SCHEMA_VERSION,
    Accepted,
    Advanced,
    CasePoint,
    CaseSnapshot,
    Created,
    DeadlineFired,
    Event,
    Outcome,
    Refused,
    Timeline,
)

__all__ = ["ActionResult", "Case", "Check"]


class Case(Engine):
    """One case. Make it with ``Case.new``, ``Case.replay`` or ``Case.restore``."""

    __slots__ = ()

    # -- Making a case ----------------------------------------------------------------------

    @classmethod
    def new(
        cls,
        donor: Donor | Mapping[str, Any],
        recipient: Recipient | Mapping[str, Any],
        approach: Approach | str,
        protocol: Protocol | None = None,
        clock: Clock | None = None,
    ) -> Case:
        """A case at ``harvest.procured``; the clock starts at cross-clamp unless one is given."""
        donor = validated(Donor, donor, "donor", prefix="donor")
        recipient = validated(Recipient, recipient, "recipient", prefix="recipient")
        try:
            approach = Approach(approach)
        except ValueError:
            rule = "must be one of: " + ", ".join(Approach)
            raise InvalidInput.single("case", "approach", approach, rule) from None
        protocol = validated(
            Protocol,
            protocol if protocol is not None else Protocol(),
            "protocol",
            prefix="protocol",
        )
        clock = clock if clock is not None else SimulatedClock(donor.cross_clamp_at)
        now = clock.now()
        if now < donor.cross_clamp_at:
            rule = (
                f"must not be before the donor's cross-clamp ({donor.cross_clamp_at.isoformat()})"
            )
            raise InvalidInput.single("case", "clock", now.isoformat(), rule)
        case = cls._blank(donor, recipient, approach, protocol, clock)
        created = Created(
            at=now, donor=donor, recipient=recipient, approach=approach, protocol=protocol
        )
        case._events.append(created)
        for name in wf.ARMED_AT_START:
            case._arm(name, now)
        case._fire_due(now)
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
    def deadlines(self) -> tuple[ArmedDeadline, ...]:
        """The armed deadlines (name, abort code, when each falls due), the soonest first."""
        self._sync()
        return tuple(self._deadlines)

    @property
    def next_deadline(self) -> datetime | None:
        """When the soonest armed deadline falls due; ``None`` if none is armed."""
        self._sync()
        return self._deadlines.soonest

    def time_left(self) -> dict[str, timedelta]:
        """Time left before each armed deadline (the soonest first)."""
        now = self.clock.now()
        return {deadline.name: deadline.due - now for deadline in self.deadlines}

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
    def replay(cls, timeline: Iterable[Event], clock: Clock | None = None) -> Case:
        """Rebuild a case from its timeline; a timeline that does not replay to itself raises.

        ``clock``, if given, must show the time of the first event; it ends at the last.
        """
        events = list(timeline)
        if not events or not isinstance(events[0], Created):
            first = events[0] if events else None
            raise InvalidInput.single("timeline", "0", first, "must start with a 'created' event")
        first = events[0]
        sim = clock if clock is not None else SimulatedClock(first.at)
        case = cls.new(first.donor, first.recipient, first.approach, first.protocol, sim)
        if case._events[0] != first:
            raise ReplayMismatch(0, first, case._events[0])
        case._follow(events[1:], 1)
        return case

    @classmethod
    def continued(
        cls,
        point: CasePoint,
        log: EventLog,
        following: Sequence[Event] = (),
        clock: Clock | None = None,
    ) -> Case:
        """The case at ``point``, whose events so far are ``log``, then ``following`` replayed.

        For the service's own checkpoints only: ``point`` is taken as it is, not rebuilt from
        the log, so it must have been written by this engine beside that very log and bound to
        it (the service's store checks a digest of both). A snapshot from anywhere else goes
        through ``restore``, which replays its timeline and trusts nothing. The events after the
        point are replayed as ``replay`` does, and must come out as they are.
        ``clock``, if given, must show ``point.now``.
        """
        first = log[0]
        if not isinstance(first, Created):
            raise InvalidInput.single("timeline", "0", first, "must start with a 'created' event")
        unknown = [name for name in point.deadlines if name not in wf.DEADLINES]
        if point.state not in wf.STATES or unknown:
            rule = "must be a state and deadlines of the workflow"
            raise InvalidInput.single("point", "state", (point.state, unknown), rule)
        sim = clock if clock is not None else SimulatedClock(point.now)
        case = cls._blank(first.donor, first.recipient, first.approach, first.protocol, sim)
        case.record = dataclasses.replace(point.record)
        case._state = point.state
        case._deadlines = Deadlines(point.deadlines)
        case._outcome = point.outcome
        case._events = log
        case._follow(following, len(log))
        return case

    def point(self) -> CasePoint:
        """What the case is now, less its timeline (for ``continued``: see there). Exactly what
        its events say: a deadline the clock has passed fires on the next read, not here."""
        return CasePoint.model_construct(
            now=self.clock.now(),
            state=self._state,
            deadlines=self._deadlines.as_dict(),
            record=dataclasses.replace(self.record),
            outcome=self._outcome,
        )

    def _follow(self, events: Sequence[Event], offset: int) -> None:
        """Replay the inputs of ``events``, the case's events from ``offset`` on; each event
        the case then holds from ``offset`` must be the one given (``ReplayMismatch``)."""
        sim = self.clock
        for index, event in enumerate(events, start=offset):
            if event.kind not in INPUT_KINDS:
                nxt = index + 1 - offset
                following = events[nxt] if nxt < len(events) else None
                if isinstance(event, DeadlineFired) and not isinstance(following, Advanced):
                    # It fired on a read (or during an act's wait). A deadline fired by an
                    # ``advance`` is followed by that advance's event: replaying the advance
                    # fires it again, and firing it here first would lose the advance's event.
                    self._fire_due(event.due, inclusive=True)
                continue
            wait = event.at - sim.now()
            if wait < timedelta(0):
                raise ReplayMismatch(index, event, f"an event before {sim.now().isoformat()}")
            if isinstance(event, Advanced):
                # On a live clock, time also passed before the advance: catch up to its start.
                try:
                    catch_up = event.at - event.by - sim.now()
                except OverflowError:
                    raise ReplayMismatch(
                        index, event, "an advance longer than the calendar"
                    ) from None
                if catch_up < timedelta(0):
                    raise ReplayMismatch(index, event, "an advance that began in the past")
                sim.advance(catch_up)
                self.advance(event.by)
            elif isinstance(event, Accepted | Refused):
                sim.advance(wait)
                self.act(event.action, **event.data)
        produced = self._events[offset:]
        for index, (want, got) in enumerate(zip(events, produced, strict=False), start=offset):
            if want != got:
                raise ReplayMismatch(index, want, got)
        if len(produced) != len(events):
            at = min(len(produced), len(events))
            raise ReplayMismatch(
                offset + at, list(events[at : at + 1]), list(produced[at : at + 1])
            )

    def snapshot(self) -> CaseSnapshot:
        """Everything needed to go on exactly from here: ``Case.restore(snapshot)``."""
        self._sync()
        return CaseSnapshot.model_construct(
            schema_version=SCHEMA_VERSION,
            now=self.clock.now(),
            state=self._state,
            deadlines=self._deadlines.as_dict(),
            record=dataclasses.replace(self.record),
            timeline=list(self._events),
        )

    @classmethod
    def restore(
        cls, snapshot: CaseSnapshot | Mapping[str, Any] | str | bytes, clock: Clock | None = None
    ) -> Case:
        """A case that goes on exactly where the snapshot left it (clock included).

        A snapshot is never trusted: the case is rebuilt by replaying the snapshot's timeline,
        brought to its time, and every disagreement with what the snapshot says (state, record,
        armed deadlines, a deadline due before its time that never fired) is refused, naming
        each. So an edited snapshot cannot skip a step, a test or a deadline.
        """
        snap = CaseSnapshot.read(snapshot)
        case = cls.replay(snap.timeline)
        behind = snap.now - case.clock.now()
        if behind < timedelta(0):
            rule = f"must not be before the timeline's last event ({case.clock.now().isoformat()})"
            raise InvalidInput.single("snapshot", "now", snap.now.isoformat(), rule)
        case.clock.advance(behind)
        events = len(case._events)
        case._fire_due(snap.now)
        problems = _disagreements(case, snap, fired=case._events[events:])
        if problems:
            raise InvalidInput("snapshot", problems)
        if clock is not None:
            if clock.now() < snap.now:
                rule = f"must not be before the snapshot's {snap.now.isoformat()}"
                raise InvalidInput.single("snapshot", "clock", clock.now().isoformat(), rule)
            case.clock = clock
        return case

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Case):
            return NotImplemented
        return (
            self._state == other._state
            and self.record == other.record
            and self._deadlines.as_dict() == other._deadlines.as_dict()
            and self._events == other._events
        )

    def __hash__(self) -> int:
        raise TypeError("a Case is not hashable: it changes")

    def __repr__(self) -> str:
        return f"<Case {self.recipient.id} {self._state} at {self.clock.now().isoformat()}>"


def _disagreements(case: Case, snap: CaseSnapshot, fired: Sequence[Event]) -> list[Problem]:
    """Where a snapshot says something other than the replay of its own timeline."""
    problems = [
        Problem("timeline", f"{event.kind} at {event.at.isoformat()}", "had not been recorded")
        for event in fired
    ]
    if case._state != snap.state:
        problems.append(
            Problem("state", snap.state, f"disagrees with the timeline ({case._state})")
        )
    if case.record != snap.record:
        differ = [
            field.name
            for field in dataclasses.fields(case.record)
            if getattr(case.record, field.name) != getattr(snap.record, field.name)
        ]
        problems += [
            Problem(f"record.{name}", getattr(snap.record, name), "disagrees with the timeline")
            for name in differ
        ]
    armed = case._deadlines.as_dict()
    for name in sorted(armed.keys() | snap.deadlines.keys()):
        if armed.get(name) != snap.deadlines.get(name):
            due = armed.get(name)
            expected = "is not armed" if due is None else f"is due {due.isoformat()}"
            problems.append(
                Problem(f"deadlines.{name}", snap.deadlines.get(name), f"disagrees: it {expected}")
            )
    return problems
