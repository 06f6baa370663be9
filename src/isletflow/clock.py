"""Clocks: where a case reads the time. Nothing in isletflow reads the wall clock by itself.

``SimulatedClock`` moves only when told (simulation, tests, a trainee's "skip ahead").
``AcceleratedClock`` follows a wall clock at a factor (1 for real time, 60 for an hour a minute),
for live training; it can be skipped ahead too. Both keep timezone-aware UTC datetimes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from .errors import InvalidInput

__all__ = ["AcceleratedClock", "Clock", "SimulatedClock"]


@runtime_checkable
class Clock(Protocol):
    """What a case needs of a clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def advance(self, delta: timedelta) -> None:
        """Move the time forward by ``delta`` (never backwards)."""
        ...


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput.single(
            "clock",
            "start",
            moment.isoformat(),
            "has no timezone; give an aware datetime, e.g. datetime(2026, 1, 5, 8, 0, tzinfo=UTC)",
        )
    return moment.astimezone(UTC)


_ZERO = timedelta(0)


def _forward(delta: timedelta) -> timedelta:
    if delta < _ZERO:
        raise InvalidInput.single(
            "clock", "delta", str(delta), "is negative; a clock only moves forward"
        )
    return delta


class SimulatedClock:
    """A clock that stands still until advanced."""

    __slots__ = ("_now",)

    def __init__(self, start: datetime) -> None:
        self._now = _utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += _forward(delta)

    def __repr__(self) -> str:
        return f"SimulatedClock({self._now.isoformat()})"


class AcceleratedClock:
    """Simulated time that runs ``factor`` times as fast as a wall clock (1 = real time).

    ``wall`` is the monotonic wall clock in seconds; it is a parameter so tests can drive it.
    """

    __slots__ = ("_factor", "_start", "_wall", "_wall_start")

    def __init__(
        self, start: datetime, factor: float = 1.0, wall: Callable[[], float] = time.monotonic
    ) -> None:
        if not factor > 0:
            raise InvalidInput.single("clock", "factor", factor, "must be above 0")
        self._start = _utc(start)
        self._factor = factor
        self._wall = wall
        self._wall_start = wall()

    @property
    def factor(self) -> float:
        """How many times faster than the wall clock this clock runs."""
        return self._factor

    def now(self) -> datetime:
        elapsed = (self._wall() - self._wall_start) * self._factor
        return self._start + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> None:
        self._start += _forward(delta)

    def __repr__(self) -> str:
        return f"AcceleratedClock({self.now().isoformat()}, factor={self._factor})"
