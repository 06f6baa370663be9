"""Sessions in use: loaded on demand, a bounded cache, one writer per session at a time.

The database is the truth; the cache only saves a load. Every ``checkpoint_every`` events an
append keeps the session's checkpoint beside its log, so a load goes on from the newest one
and replays fewer events than that. A change is based on the version the
client saw: if the cached session is at that version the change is made on it and appended with
the store's conditional update, which refuses it if another process appended first (then the
cached copy is dropped and the client gets the current state). Within a process a striped lock
keeps two threads off one session at a time; across processes the database decides.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from ..errors import InvalidInput, IsletflowError
from .courses import CourseHeader, CourseSessionView, StoredCourse
from .schemas import SessionView
from .sessions import Session, SessionHeader, Step
from .store import Conflict, SessionStore, UnreadableSession

__all__ = ["Registry", "SessionNotFound", "StaleVersion", "UnreadableSession", "checked_interval"]

_STRIPES = 64
# What a damaged log can raise as it is read and replayed (a deadline pushed past the calendar
# overflows, a body nested too deep recurses): each is that session's damage, not a 500.
_DAMAGE = (IsletflowError, ValidationError, ValueError, OverflowError, RecursionError)
_T = TypeVar("_T")
_V = TypeVar("_V")


class Held(Protocol):
    """What the registry and the store see of a stored session of either kind (a procedure's
    ``Session`` or a ``StoredCourse``): nothing of what it runs."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def now(self) -> datetime: ...
    def memory(self) -> int: ...
    def checkpoint(self) -> str: ...
    def header_json(self) -> dict[str, Any]: ...
    def events_json(self, start: int = 0) -> list[Any]: ...
    def view(self) -> SessionView | CourseSessionView: ...


class Logged(Protocol):
    """A change's result, with the events (log entries) the store appends."""

    @property
    def events(self) -> list[Any]: ...


_H = TypeVar("_H", Session, StoredCourse)
_S = TypeVar("_S", bound=Logged)
_LOG = logging.getLogger("isletflow.service")


class SessionNotFound(IsletflowError):
    """No session has this id (or it was never stored)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        super().__init__("no such session")


class StaleVersion(IsletflowError):
    """The client's version is not the session's: nothing was done; here is the current state."""

    def __init__(self, expected: int, current: SessionView | CourseSessionView) -> None:
        self.expected = expected
        self.current = current
        super().__init__(
            f"the session is at version {current.version}, not {expected}: "
            "someone acted on it since; nothing was done"
        )


DEFAULT_CACHE_BYTES = 512 * 1024 * 1024
"""What the cached sessions may take in memory, estimated (``Session.memory``): 512 MiB."""
CHECKPOINT_EVERY = 100
"""A session's checkpoint is stored each time its log passes a multiple of this many events."""


def checked_interval(every: object) -> int:
    """``every`` as a checkpoint interval: a whole number of events, at least 1."""
    if type(every) is not int or every < 1:
        rule = "must be a whole number of events, at least 1"
        raise InvalidInput.single("service", "checkpoint_every", every, rule)
    return every


class Registry:
    """Creates, finds and changes sessions; keeps the recently used ones in memory.

    The cache holds at most ``cache_size`` sessions and at most ``cache_bytes`` of them (as
    ``Session.memory`` estimates them, updated as they grow); the least recently used go first.
    The session just used always stays, even alone over the budget: an act on it must not
    replay it every time.
    """

    def __init__(
        self,
        store: SessionStore,
        *,
        cache_size: int = 256,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        max_events: int = 10_000,
        checkpoint_every: int = CHECKPOINT_EVERY,
    ) -> None:
        self.store = store
        self.checkpoint_every = checked_interval(checkpoint_every)
        self.cache_size = cache_size
        self.cache_bytes = cache_bytes
        self.max_events = max_events
        self._cache: OrderedDict[str, tuple[Held, int]] = OrderedDict()
        self._cached_bytes = 0
        self._cache_lock = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(_STRIPES)]

    # -- The three things a route does ------------------------------------------------------

    def create(self, header: SessionHeader) -> SessionView:
        session = Session.start(_new_id(), header)
        self._stored(session)
        return session.view()

    def create_course(self, header: CourseHeader) -> CourseSessionView:
        course = StoredCourse.start(_new_id(), header)
        self._stored(course)
        return course.view()

    def read(self, session_id: str, look: Callable[[Session], _T]) -> _T:
        """``look`` at the session's current state (its latest version in the database)."""
        return self.read_as(Session, session_id, look)

    def read_as(self, kind: type[_H], session_id: str, look: Callable[[_H], _T]) -> _T:
        """``read`` of a session of ``kind``; one of another kind is not found (404)."""
        with self._lock(session_id):
            session = _of(kind, self._current(session_id))
            seen = look(session)
            self._remember(session)  # reading its whole timeline may have made it bigger
            return seen

    def change(
        self, session_id: str, expected: int, how: Callable[[Session], Step]
    ) -> tuple[Step, SessionView]:
        """Make a change based on version ``expected``; durable once this returns."""
        return self.change_as(Session, session_id, expected, how, Session.view)

    def change_as(
        self,
        kind: type[_H],
        session_id: str,
        expected: int,
        how: Callable[[_H], _S],
        show: Callable[[_H], _V],
    ) -> tuple[_S, _V]:
        """``change`` of a session of ``kind``, answered with ``show`` of it after."""
        with self._lock(session_id):
            cached = self._cached(session_id)
            if cached is None or cached.version != expected:
                cached = self._load(session_id)
            session = _of(kind, cached)
            if session.version != expected:
                raise StaleVersion(expected, session.view())
            if session.version >= self.max_events:
                limit = f"has reached its limit of {self.max_events} events"
                raise InvalidInput.single("session", "session", session.version, limit)
            try:
                step = how(session)
                every = self.checkpoint_every
                due = session.version // every > expected // every
                checkpoint = session.checkpoint() if due else None
                self.store.append(session_id, expected, step.events, session.now, checkpoint)
            except Conflict:
                self.evict(session_id)
                raise StaleVersion(expected, self._load(session_id).view()) from None
            except BaseException:
                # The case may have moved where the database did not: drop it, reload later.
                self.evict(session_id)
                raise
            self._remember(session)  # it grew
            return step, show(session)

    def _stored(self, session: Held) -> None:
        with self._lock(session.id):
            self.store.create(session.id, session.header_json(), session.events_json(), session.now)
            self._remember(session)

    # -- Cache ------------------------------------------------------------------------------

    def _lock(self, session_id: str) -> AbstractContextManager[bool]:
        return self._stripes[hash(session_id) % _STRIPES]

    def _current(self, session_id: str) -> Held:
        version = self.store.version(session_id)
        if version is None:
            raise SessionNotFound(session_id)
        cached = self._cached(session_id)
        if cached is not None and cached.version == version:
            return cached
        return self._load(session_id)

    def _load(self, session_id: str) -> Held:
        """The session from the store: from its checkpoint if it has one that goes on to its
        log, else by replaying the whole log; a log that cannot be read is that session's 410."""
        stored = self.store.load(session_id)
        if stored is None:
            raise SessionNotFound(session_id)
        earlier = functools.partial(self.store.events, session_id)
        resume = _resumer(stored.header)
        try:
            session: Held = resume(
                session_id,
                stored.header,
                stored.log,
                stored.clock,
                checkpoint=stored.checkpoint,
                earlier=earlier,
            )
        except _DAMAGE as error:
            if stored.checkpoint is None:
                # Not the client's input: a 422 would blame them. This session's own error (410).
                raise UnreadableSession(session_id, error) from error
            _LOG.warning(
                "session %s: its log does not go on from its checkpoint at version %d (%s); "
                "the whole log is replayed",
                session_id,
                stored.start,
                str(error)[:300],
            )
            whole = self.store.load(session_id, checkpoint=False)
            if whole is None:
                raise SessionNotFound(session_id) from None
            try:
                session = resume(session_id, whole.header, whole.log, whole.clock)
            except _DAMAGE as error:
                raise UnreadableSession(session_id, error) from error
        self._remember(session)
        return session

    def _cached(self, session_id: str) -> Held | None:
        with self._cache_lock:
            entry = self._cache.get(session_id)
            if entry is None:
                return None
            self._cache.move_to_end(session_id)
            return entry[0]

    def _remember(self, session: Held) -> None:
        """Keep ``session`` as the most recently used, at its size now; evict past the bounds."""
        size = session.memory()
        with self._cache_lock:
            _, before = self._cache.pop(session.id, (session, 0))
            self._cache[session.id] = (session, size)
            self._cached_bytes += size - before
            while len(self._cache) > 1 and (
                len(self._cache) > self.cache_size or self._cached_bytes > self.cache_bytes
            ):
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cached_bytes -= dropped

    def evict(self, session_id: str) -> None:
        """Drop the session from memory (if it is there); it loads again when next asked for."""
        with self._cache_lock:
            _, size = self._cache.pop(session_id, (None, 0))
            self._cached_bytes -= size

    def cached_bytes(self) -> int:
        """The cached sessions' memory, as ``Session.memory`` estimates it."""
        with self._cache_lock:
            return self._cached_bytes

    def cached_count(self) -> int:
        with self._cache_lock:
            return len(self._cache)


def _new_id() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits: not guessable, URL-safe


def _resumer(header: dict[str, Any]) -> Callable[..., Held]:
    """How a stored session of this header's kind is rebuilt (a header before kinds: training)."""
    return StoredCourse.resume if header.get("kind") == "course" else Session.resume


def _of(kind: type[_H], session: Held) -> _H:
    """``session`` if it is of ``kind``: a course's id on a procedure route is no session there."""
    if not isinstance(session, kind):
        raise SessionNotFound(session.id)
    return session
