"""``EventLog``: a case's events, the older ones read on demand.

A case keeps its whole timeline, but it needs only the end of it to go on: the last event's time
(a deadline that fires is stamped no earlier), the events an act or advance adds, and the first
event (the case as it was made). A case continued from the service's checkpoint
(``Case.continued``) holds just those, and the events before are read when something asks for
them (a debrief, an export, the timeline itself), once, through ``load``. A case made or replayed
in memory holds every event from the start: the same class with nothing left to read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import overload

from .errors import InvalidInput
from .timeline import Event

__all__ = ["EventLog"]


class EventLog(Sequence[Event]):
    """The events of one case, in order; those before ``start`` read by ``load`` when needed.

    ``first`` is event 0, kept in memory; ``events`` are the events from ``start`` on (the last
    event before a checkpoint, and every event after it); ``load()`` gives the ``start`` events
    before them, the first of which must be ``first``.
    """

    __slots__ = ("_events", "_first", "_load", "_start")

    def __init__(
        self,
        events: Iterable[Event] = (),
        *,
        first: Event | None = None,
        start: int = 0,
        load: Callable[[], Sequence[Event]] | None = None,
    ) -> None:
        if start and (first is None or load is None):
            raise ValueError("a log that starts later needs its first event and a loader")
        self._events = list(events)
        self._first = first
        self._start = start
        self._load = load

    @property
    def unread(self) -> int:
        """How many events are still to be read (0 once read, or for a log held whole)."""
        return self._start

    def _read(self) -> list[Event]:
        """Every event, reading those before ``start`` if not read yet."""
        if self._load is not None:
            before = list(self._load())
            if len(before) != self._start or before[0] != self._first:
                rule = f"must hold the {self._start} events before the checkpoint, from the first"
                raise InvalidInput.single("timeline", "events", len(before), rule)
            # The first event stays the very object kept (what holds on to it by identity, as
            # the lab's walk of the case does, still finds it).
            self._events[:0] = [self._first, *before[1:]]
            self._start, self._load = 0, None
        return self._events

    def __len__(self) -> int:
        return self._start + len(self._events)

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        start = self._start
        if isinstance(index, slice):
            begin, end, step = index.indices(len(self))
            if begin >= start and step == 1:
                return self._events[begin - start : max(begin, end) - start]
            return self._read()[index]
        at = index + len(self) if index < 0 else index
        if at < 0:
            raise IndexError("event index out of range")
        if at >= start:
            return self._events[at - start]
        if at == 0 and self._first is not None:
            return self._first
        return self._read()[index]

    def __iter__(self) -> Iterator[Event]:
        return iter(self._read())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventLog | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        raise TypeError("an EventLog is not hashable: it grows")

    def __repr__(self) -> str:
        return f"EventLog({len(self)} events, {self._start} unread)"

    def append(self, event: Event) -> None:
        self._events.append(event)

    def extend(self, events: Iterable[Event]) -> None:
        self._events.extend(events)
