"""Group commit: appends that wait at the same moment share one transaction, so one sync.

SQLite (and any database) pays its fsync per commit, not per row: appends from many requests
that arrive while a commit is under way are written together by the next, so durable throughput
grows with concurrency instead of stopping at one fsync per action. Each caller waits until the
commit that holds its append is done; a stale one in the group is refused alone (its conditional
update matches nothing and it writes nothing). What an append writes is the store's business
(``write``); this module only groups, commits and wakes the callers.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

__all__ = ["GroupCommit", "Pending"]


class Pending:
    """An append waiting for its commit: its events, the clock after them and, every so many
    events, the session's checkpoint (``checkpoint``, JSON text) to keep beside them."""

    __slots__ = (
        "checkpoint",
        "clock",
        "done",
        "error",
        "events",
        "expected",
        "session_id",
        "stale",
    )

    def __init__(
        self,
        session_id: str,
        expected: int,
        events: Sequence[Any],
        clock: datetime,
        checkpoint: str | None = None,
    ) -> None:
        self.session_id = session_id
        self.expected = expected
        self.events = events
        self.clock = clock
        self.checkpoint = checkpoint
        self.done = threading.Event()
        self.stale = False  # its version was not the session's: nothing of it was written
        self.error: BaseException | None = None


Write = Callable[[sa.Connection, Pending], bool]
"""Writes one append inside the group's transaction; False if its version is stale."""


class GroupCommit:
    """One writer thread that commits the appends waiting at that moment in one transaction."""

    MAX_GROUP = 256

    def __init__(self, engine: Engine, write: Write) -> None:
        self._engine = engine
        self._write = write
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="isletflow-writer", daemon=True)
        self._thread.start()

    def submit(self, pending: Pending) -> None:
        """Wait until ``pending`` is committed (or found stale); raise what the database raised."""
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(item)
            self._commit(group)

    def _commit(self, group: list[Pending]) -> None:
        try:
            with self._engine.begin() as conn:
                for pending in group:
                    pending.stale = not self._write(conn, pending)
        except IntegrityError:
            # Nothing of the group was written; each caller reloads and sees the truth.
            for pending in group:
                pending.stale = True
        except BaseException as error:  # the database failed: nothing was committed
            for pending in group:
                pending.error = error
        finally:
            for pending in group:
                pending.done.set()
