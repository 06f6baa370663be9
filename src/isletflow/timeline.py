"""The timeline: a case's append-only list of typed events, and the snapshot of a case.

Events are frozen stdlib dataclasses: cheap enough to make one per step inside a cohort loop.
Pydantic meets them at the edges: ``Timeline.to_json`` / ``Timeline.from_json`` and
``CaseSnapshot`` validate and write them, and the JSON round trip loses nothing.

Events of kind ``created``, ``accepted``, ``refused`` and ``advanced`` are *inputs*: replaying
them rebuilds the case. ``warned``, ``deadline`` and ``automatic`` are consequences, which the
replay produces again and checks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, cast, overload

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from . import workflow as wf
from .deadlines import ArmedDeadline, Deadlines, due
from .duration import IsoDuration
from .errors import InvalidInput, SnapshotIncompatible
from .guards import GuardResult
from .models import Approach, Donor, Recipient, UtcDatetime
from .protocol import ProtocolData
from .record import CaseRecord, Note

__all__ = [
    "SCHEMA_VERSION",
    "Accepted",
    "Advanced",
    "AutomaticStep",
    "CasePoint",
    "CaseSnapshot",
    "Created",
    "DeadlineFired",
    "Event",
    "JsonEvent",
    "Outcome",
    "Refused",
    "Timeline",
    "Warned",
    "outcome_of",
]

SCHEMA_VERSION = 1
"""Version of the snapshot and timeline format; bumped when either changes incompatibly."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Created:
    at: datetime
    donor: Donor
    recipient: Recipient
    approach: Approach
    protocol: ProtocolData
    kind: Literal["created"] = "created"


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """A step or recording that happened. ``source == target`` for recordings."""

    at: datetime
    action: str
    data: dict[str, Any]
    source: str
    target: str
    kind: Literal["accepted"] = "accepted"


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """An action that was asked for and refused; nothing else changed."""

    at: datetime
    action: str
    data: dict[str, Any]
    state: str
    failures: tuple[GuardResult, ...]
    kind: Literal["refused"] = "refused"


@dataclass(frozen=True, slots=True, kw_only=True)
class Warned:
    """A warning guard that failed on an accepted action (recorded, not refused)."""

    at: datetime
    action: str
    warning: GuardResult
    kind: Literal["warned"] = "warned"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadlineFired:
    """A deadline the clock passed; the case was aborted with ``code``, stamped at ``at``."""

    at: datetime
    deadline: str
    code: str
    due: datetime
    source: str
    kind: Literal["deadline"] = "deadline"


@dataclass(frozen=True, slots=True, kw_only=True)
class AutomaticStep:
    """A step the engine took by itself (the infusion paused on a high portal pressure)."""

    at: datetime
    trigger: str
    source: str
    target: str
    reason: GuardResult
    kind: Literal["automatic"] = "automatic"


@dataclass(frozen=True, slots=True, kw_only=True)
class Advanced:
    """The clock was moved on by ``by`` without a step, to ``at``."""

    at: datetime
    by: IsoDuration
    kind: Literal["advanced"] = "advanced"


Event = Created | Accepted | Refused | Warned | DeadlineFired | AutomaticStep | Advanced
INPUT_KINDS = frozenset({"created", "accepted", "refused", "advanced"})

Status = Literal["completed", "aborted", "discarded"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a case ended: ``completed``, ``aborted`` or ``discarded``, with a code and time."""

    status: Status
    code: str | None
    at: datetime


def outcome_of(events: Sequence[Event]) -> Outcome | None:
    """How the case of ``events`` ended, or ``None`` while it goes on."""
    for event in reversed(events):
        if isinstance(event, DeadlineFired):
            return Outcome("aborted", event.code, event.at)
        if isinstance(event, Accepted) and event.target in wf.TERMINAL:
            status = cast(Status, event.target)
            field = "igls_grade" if status == "completed" else "reason"
            code = event.data.get(field)
            if status == "discarded" and code is None:
                code = "release_rejected"
            return Outcome(status, code, event.at)
    return None


def state_after(event: Event, state: str) -> str:
    """The case's state after ``event``, given its state before."""
    if isinstance(event, Accepted | AutomaticStep):
        return event.target
    if isinstance(event, DeadlineFired):
        return "aborted"
    return state


JsonEvent = Annotated[Event, Field(discriminator="kind")]
"""An event as a pydantic field: read back by its ``kind``."""


@functools.cache
def _events_adapter() -> TypeAdapter[list[Event]]:
    return TypeAdapter(list[JsonEvent])


def events_to_python(events: Sequence[Event]) -> list[Any]:
    """Events as JSON-ready Python data (dicts, lists, strings, numbers)."""
    data: list[Any] = _events_adapter().dump_python(list(events), mode="json")
    return data


def events_from_python(data: Any, *, what: str = "timeline") -> list[Event]:
    try:
        return _events_adapter().validate_python(data)
    except ValidationError as error:
        raise InvalidInput.from_pydantic(what, error) from None


class Timeline(Sequence[Event]):
    """A read-only view of a case's events, in the order they happened."""

    __slots__ = ("_events",)

    def __init__(self, events: Sequence[Event]) -> None:
        self._events = events

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        return self._events[index]

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Timeline):
            return list(self._events) == list(other._events)
        if isinstance(other, list | tuple):
            return list(self._events) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        raise TypeError("a Timeline is not hashable: it grows")

    def __repr__(self) -> str:
        return f"Timeline({len(self._events)} events)"

    def to_python(self) -> list[Any]:
        return events_to_python(self._events)

    # -- What the events say -----------------------------------------------------------------

    @property
    def created(self) -> Created:
        """The first event: the case as it was made."""
        first = self._events[0]
        if not isinstance(first, Created):
            raise InvalidInput.single("timeline", "0", first, "must be a 'created' event")
        return first

    @property
    def cross_clamp(self) -> datetime:
        """The donor's aortic cross-clamp: the start of cold ischaemia and of the case's clock."""
        return self.created.donor.cross_clamp_at

    @property
    def outcome(self) -> Outcome | None:
        """How the case ended, or ``None`` while it goes on."""
        return outcome_of(self._events)

    def states(self) -> Iterator[tuple[Event, str]]:
        """Each event with the case's state after it."""
        state = wf.INITIAL
        for event in self._events:
            state = state_after(event, state)
            yield event, state

    def notes(self) -> tuple[Note, ...]:
        """Every note taken, in order (the record keeps only how many, and the last)."""
        return tuple(
            Note(e.at, e.data["text"])
            for e in self._events
            if isinstance(e, Accepted) and e.action == "note"
        )

    def deadlines(self) -> tuple[ArmedDeadline, ...]:
        """Every deadline the case armed, as it was armed, in the order it was armed."""
        created = self.created
        armed, found = Deadlines(), []
        steps: Mapping[str, wf.Step | wf.Recording] = wf.ACTIONS
        arming = [(name, created.at) for name in wf.ARMED_AT_START]
        for event in self._events:
            row = steps.get(event.action) if isinstance(event, Accepted) else None
            if isinstance(row, wf.Step):
                for name in row.disarms:
                    armed.disarm(name)
                arming += [(name, event.at) for name in row.arms]
            for name, at in arming:
                when = due(name, created.protocol, created.donor.cross_clamp_at, at)
                if armed.arm(name, when):
                    found.append(ArmedDeadline(name, wf.DEADLINES[name].code, when))
            arming = []
        return tuple(found)

    def to_json(self, *, indent: int | None = None) -> str:
        return _events_adapter().dump_json(list(self._events), indent=indent).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Timeline:
        try:
            return cls(_events_adapter().validate_json(text))
        except ValidationError as error:
            raise InvalidInput.from_pydantic("timeline", error) from None


class CasePoint(BaseModel):
    """What a case is at one moment, less its timeline: the service's checkpoint of a case.

    Trusted only where it was written beside the log it came from and bound to it (the service's
    store, ``Case.continued``); a file from a user is a ``CaseSnapshot``, rebuilt by replay.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    now: UtcDatetime
    state: str
    deadlines: dict[str, UtcDatetime]
    record: CaseRecord
    outcome: Outcome | None


class CaseSnapshot(BaseModel):
    """Everything needed to go on with a case exactly where it was."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    schema_version: int = SCHEMA_VERSION
    now: UtcDatetime
    state: str
    deadlines: dict[str, UtcDatetime]
    record: CaseRecord
    timeline: list[JsonEvent]

    @classmethod
    def read(cls, value: CaseSnapshot | Mapping[str, Any] | str | bytes) -> CaseSnapshot:
        """A snapshot from itself, its JSON data, or its JSON text; of this schema version."""
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
            if type(version) is not int or version != SCHEMA_VERSION:  # not true, not 1.0
                raise SnapshotIncompatible(version, SCHEMA_VERSION)
            return cls.model_validate(raw)
        except ValidationError as error:
            raise InvalidInput.from_pydantic("snapshot", error) from None
