"""The deadlines of a case: when each falls due, and the ones armed now.

``due`` is the one place a deadline's date is summed (a window that would end past the calendar
never passes). ``Deadlines`` holds a case's armed deadlines and keeps the soonest at hand as they
change, by construction: the engine reads it before every step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .protocol import Protocol
from .workflow import DEADLINES

__all__ = ["ArmedDeadline", "Deadlines", "due", "window", "window_source"]

NEVER = datetime.max.replace(tzinfo=UTC)
"""When a deadline falls due that the calendar cannot reach."""


@dataclass(frozen=True, slots=True)
class ArmedDeadline:
    """A deadline counting down: its name, the abort code it carries, and when it falls due."""

    name: str
    code: str
    due: datetime


def window(name: str, protocol: Protocol) -> timedelta:
    """How long deadline ``name`` gives under ``protocol``."""
    length: timedelta = getattr(protocol, DEADLINES[name].window)
    return length


def window_source(name: str) -> str:
    """The source tag of deadline ``name``'s window (the protocol field's), or ""."""
    return Protocol.sources().get(DEADLINES[name].window, "")


def due(name: str, protocol: Protocol, cross_clamp_at: datetime, armed_at: datetime) -> datetime:
    """When deadline ``name``, armed at ``armed_at``, falls due under ``protocol``."""
    start = cross_clamp_at if DEADLINES[name].from_cross_clamp else armed_at
    length = window(name, protocol)
    try:
        return start + length
    except OverflowError:
        # Due after the calendar ends: it can never pass. Arming runs after a step has changed
        # the record, so it must not fail half-way through that step.
        return NEVER


class Deadlines:
    """A case's armed deadlines, by name, with the soonest kept as ``soonest``."""

    __slots__ = ("_armed", "soonest")

    def __init__(self, armed: Mapping[str, datetime] | None = None) -> None:
        self._armed: dict[str, datetime] = dict(armed or {})
        self.soonest: datetime | None = min(self._armed.values()) if self._armed else None

    def arm(self, name: str, at: datetime) -> bool:
        """Arm ``name`` to fall due ``at``; True unless it was armed already (it keeps counting)."""
        if name in self._armed:
            return False
        self._armed[name] = at
        if self.soonest is None or at < self.soonest:
            self.soonest = at
        return True

    def disarm(self, name: str) -> None:
        if self._armed.pop(name, None) is not None:
            self.soonest = min(self._armed.values()) if self._armed else None

    def clear(self) -> None:
        self._armed.clear()
        self.soonest = None

    def first_due(self) -> str:
        """The first armed of those due at ``soonest`` (as ``min`` over the items would give)."""
        return next(name for name, at in self._armed.items() if at == self.soonest)

    def as_dict(self) -> dict[str, datetime]:
        return dict(self._armed)

    def __iter__(self) -> Iterator[ArmedDeadline]:
        """Each armed deadline, the soonest first."""
        for name, at in sorted(self._armed.items(), key=lambda item: item[1]):
            yield ArmedDeadline(name, DEADLINES[name].code, at)
