"""What a session *is*: the one place in the service that knows it runs a ``Case``.

A session is stored as a header (what it was made from) and its event log (the case timeline as
JSON). Restoring it is ``Case.replay`` of that log, then the clock moved to where it stood. The
store and the registry see only ``header_json()``, ``events_json()``, ``version`` and ``now``;
the routes see ``act``, ``advance`` and ``view``. When ``TrainingSession`` arrives, it replaces
``Case`` here (its header adds scenario, seed and rubric; its view adds score and debrief) and
nothing below this class changes.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from .. import workflow as wf
from ..case import Case, Check
from ..duration import format_duration, parse_duration
from ..errors import InvalidInput
from ..guards import GuardResult
from ..models import Donor
from ..protocol import Protocol
from ..record import CaseRecord
from ..report import timeline_table
from ..timeline import events_from_python, events_to_python
from .schemas import (
    AllowedAction,
    CaseSpec,
    DeadlineView,
    GuardView,
    OutcomeView,
    SessionView,
)

__all__ = ["Session", "SessionHeader", "Step"]

HEADER_VERSION = 1


class SessionHeader(BaseModel):
    """What a session was made from; stored once, never changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    header_version: int = HEADER_VERSION
    kind: Literal["case"] = "case"
    preset: str | None = None
    case: CaseSpec


class Step:
    """What one ``act`` or ``advance`` did: its verdict and the events it added."""

    __slots__ = ("accepted", "action", "events", "failures", "warnings")

    def __init__(
        self, action: str, accepted: bool, failures: list[GuardView],
        warnings: list[GuardView], events: list[Any],
    ) -> None:  # fmt: skip
        self.action, self.accepted, self.events = action, accepted, events
        self.failures, self.warnings = failures, warnings


@functools.cache
def _guard_adapter() -> TypeAdapter[GuardResult]:
    return TypeAdapter(GuardResult)


@functools.cache
def _record_adapter() -> TypeAdapter[CaseRecord]:
    return TypeAdapter(CaseRecord)


def _guard(result: GuardResult) -> GuardView:
    data = _guard_adapter().dump_python(result, mode="json")
    left = result.time_left
    data["time_left"] = format_duration(left) if left is not None else None
    return GuardView.model_validate(data)


def _allowed(check: Check) -> AllowedAction:
    return AllowedAction(
        action=check.action, accepted=check.accepted,
        failures=[_guard(r) for r in check.failures],
        warnings=[_guard(r) for r in check.warnings],
    )  # fmt: skip


def _calendar_safe(what: str) -> InvalidInput:
    return InvalidInput.single(what, what, None, "would move the clock beyond the calendar")


class Session:
    """One stored session: a header and the case its events rebuild."""

    __slots__ = ("case", "header", "id")

    def __init__(self, session_id: str, header: SessionHeader, case: Case) -> None:
        self.id = session_id
        self.header = header
        self.case = case

    # -- Making and restoring ---------------------------------------------------------------

    @classmethod
    def start(cls, session_id: str, header: SessionHeader) -> Session:
        spec = header.case
        try:
            # A plain Donor, as the timeline's JSON will read it back.
            donor = Donor.model_validate(spec.donor.model_dump())
            case = Case.new(donor, spec.recipient, spec.approach,
                            spec.protocol if spec.protocol is not None else Protocol())  # fmt: skip
        except OverflowError:
            raise _calendar_safe("case") from None
        return cls(session_id, header, case)

    @classmethod
    def resume(
        cls, session_id: str, header: dict[str, Any], events: list[Any], clock: datetime
    ) -> Session:
        """The session as stored: replay its events, then put the clock where it stood."""
        case = Case.replay(events_from_python(events, what=f"session {session_id}"))
        # An active case's clock stands at its last event; a finished one records no advance,
        # so its clock is kept by the store alone.
        behind = clock - case.now
        if case.terminal and behind > timedelta(0):
            case.clock.advance(behind)
        return cls(session_id, SessionHeader.model_validate(header), case)

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
        """Take an action; a refusal is a normal ``Step`` with ``accepted`` False."""
        start = self.version
        try:
            result = self.case.act(action, after=after, **data)
        except OverflowError:
            raise _calendar_safe("after") from None
        return Step(action, result.accepted, [_guard(r) for r in result.failures],
                    [_guard(r) for r in result.warnings], self.events_json(start))  # fmt: skip

    def advance(self, by: str) -> Step:
        """Move the clock on; returns the events (deadlines fired, the advance itself)."""
        start = self.version
        try:
            self.case.clock.now() + parse_duration(by)
        except OverflowError:
            raise _calendar_safe("by") from None
        self.case.advance(by)
        return Step("advance", True, [], [], self.events_json(start))

    # -- Reading ----------------------------------------------------------------------------

    def view(self) -> SessionView:
        case = self.case
        now = case.now
        outcome = case.outcome
        deadlines = [
            DeadlineView(name=name, code=wf.DEADLINES[name].code, due=now + left,
                         time_left=format_duration(left), seconds_left=left.total_seconds())
            for name, left in case.time_left().items()
        ]  # fmt: skip
        return SessionView(
            id=self.id,
            kind=self.header.kind,
            preset=self.header.preset,
            version=self.version,
            now=now,
            since_cross_clamp=format_duration(now - case.donor.cross_clamp_at),
            state=case.state,
            phase=case.phase,
            terminal=case.terminal,
            outcome=None if outcome is None else OutcomeView(
                status=outcome.status, code=outcome.code, at=outcome.at),
            allowed=[_allowed(check) for check in case.allowed()],
            deadlines=deadlines,
            record=_record_adapter().dump_python(case.record, mode="json"),
            case={
                "donor": case.donor.model_dump(mode="json"),
                "recipient": case.recipient.model_dump(mode="json"),
                "approach": case.approach.value,
                "cpt_code": case.approach.spec.cpt_code,
            },
        )  # fmt: skip

    def timeline_text(self) -> str:
        return timeline_table(self.case)
