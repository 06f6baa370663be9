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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .errors import InvalidInput
from .guards import GuardResult
from .models import Approach, Donor, Recipient, UtcDatetime
from .protocol import Protocol
from .record import CaseRecord
from .values import value

__all__ = [
    "SCHEMA_VERSION",
    "Accepted",
    "Advanced",
    "AutomaticStep",
    "CaseSnapshot",
    "Created",
    "DeadlineFired",
    "Event",
    "Refused",
    "Timeline",
    "Warned",
]

SCHEMA_VERSION = 1
"""Version of the snapshot and timeline format; bumped when either changes incompatibly."""


@value
@dataclass(frozen=True, slots=True, kw_only=True)
class Created:
    at: datetime
    donor: Donor
    recipient: Recipient
    approach: Approach
    protocol: Protocol
    kind: Literal["created"] = "created"


@value
@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """A step or recording that happened. ``source == target`` for recordings."""

    at: datetime
    action: str
    data: dict[str, Any]
    source: str
    target: str
    kind: Literal["accepted"] = "accepted"


@value
@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """An action that was asked for and refused; nothing else changed."""

    at: datetime
    action: str
    data: dict[str, Any]
    state: str
    failures: tuple[GuardResult, ...]
    kind: Literal["refused"] = "refused"


@value
@dataclass(frozen=True, slots=True, kw_only=True)
class Warned:
    """A warning guard that failed on an accepted action (recorded, not refused)."""

    at: datetime
    action: str
    warning: GuardResult
    kind: Literal["warned"] = "warned"


@value
@dataclass(frozen=True, slots=True, kw_only=True)
class DeadlineFired:
    """A deadline the clock passed; the case was aborted with ``code``, stamped at ``at``."""

    at: datetime
    deadline: str
    code: str
    due: datetime
    source: str
    kind: Literal["deadline"] = "deadline"


@value
@dataclass(frozen=True, slots=True, kw_only=True)
class AutomaticStep:
    """A step the engine took by itself (the infusion paused on a high portal pressure)."""

    at: datetime
    trigger: str
    source: str
    target: str
    reason: GuardResult
    kind: Literal["automatic"] = "automatic"


@value
@dataclass(frozen=True, slots=True, kw_only=True)
class Advanced:
    """The clock was moved on by ``by`` without a step, to ``at``."""

    at: datetime
    by: timedelta
    kind: Literal["advanced"] = "advanced"


Event = Created | Accepted | Refused | Warned | DeadlineFired | AutomaticStep | Advanced
INPUT_KINDS = frozenset({"created", "accepted", "refused", "advanced"})


_JsonEvent = Annotated[Event, Field(discriminator="kind")]


@functools.cache
def _events_adapter() -> TypeAdapter[list[Event]]:
    return TypeAdapter(list[_JsonEvent])


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

    def to_json(self, *, indent: int | None = None) -> str:
        return _events_adapter().dump_json(list(self._events), indent=indent).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Timeline:
        try:
            return cls(_events_adapter().validate_json(text))
        except ValidationError as error:
            raise InvalidInput.from_pydantic("timeline", error) from None


class CaseSnapshot(BaseModel):
    """Everything needed to go on with a case exactly where it was."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    schema_version: int = SCHEMA_VERSION
    now: UtcDatetime
    state: str
    deadlines: dict[str, UtcDatetime]
    record: CaseRecord
    timeline: list[_JsonEvent]
