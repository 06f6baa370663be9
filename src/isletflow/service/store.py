"""Durable storage of sessions: a header and an append-only event log, in SQL.

The store knows nothing of cases. A session is, to it, an id, a header (JSON), a version (the
number of events), the clock's position, and its events (JSON), each keyed by
``(session_id, seq)``. SQLite by default, PostgreSQL from a database URL; the same SQLAlchemy
Core statements serve both.

An append names the version it was based on. The version check and the write are one
transaction: a conditional ``UPDATE ... WHERE version = :expected`` that matches no row means
someone else appended first (in this process or another), and nothing is written. The
``(session_id, seq)`` primary key is a second line of defence: two appends can never both write
event ``seq``. A write is acknowledged only after its transaction commits; on SQLite the
connection runs in WAL mode with ``synchronous=FULL``, so a committed write survives a killed
process (and a power cut). Appends waiting at the same moment share one commit (group commit),
so the cost of that sync is paid once per group, not once per action.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from ..errors import IsletflowError

__all__ = [
    "Conflict",
    "SessionStore",
    "StoreUnavailable",
    "StoredSession",
    "UnreadableSession",
    "database_url",
    "shown_url",
]

_METADATA = sa.MetaData()

SESSIONS = sa.Table(
    "isletflow_sessions",
    _METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("header", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("clock", sa.String(40), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)

EVENTS = sa.Table(
    "isletflow_events",
    _METADATA,
    sa.Column(
        "session_id",
        sa.String(64),
        sa.ForeignKey("isletflow_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("body", sa.Text, nullable=False),
)


class Conflict(IsletflowError):
    """An append based on a version that is no longer the session's current one."""

    def __init__(self, session_id: str, expected: int) -> None:
        self.session_id = session_id
        self.expected = expected
        super().__init__(f"session {session_id} is no longer at version {expected}")


class UnreadableSession(IsletflowError):
    """A stored session that cannot be read: its rows were edited or damaged, not the request."""

    def __init__(self, session_id: str, error: Exception | str) -> None:
        self.session_id = session_id
        super().__init__(f"session {session_id} cannot be restored from its stored log: {error}")


class StoreUnavailable(IsletflowError):
    """A database that cannot be a session store, said in one sentence (at start-up)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(f"the session store {url} cannot be used: {reason}")


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One session as stored: its header, version, clock and its events as one JSON array.

    ``log`` is the events' JSON text exactly as stored, joined into an array (read once by
    whoever knows what an event is); ``events`` parses it.
    """

    id: str
    header: dict[str, Any]
    version: int
    clock: datetime
    log: str

    @property
    def events(self) -> list[Any]:
        events: list[Any] = json.loads(self.log)
        return events


def database_url(value: str) -> str:
    """A SQLAlchemy URL from ``--db``: a file path means SQLite; ``postgresql://`` uses psycopg."""
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def shown_url(url: str) -> str:
    """``url`` as it may be shown or logged: its password hidden (if it can be read at all)."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "(a database URL that cannot be read)"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class SessionStore:
    """Sessions in a SQL database, durable once a call returns."""

    def __init__(self, url: str) -> None:
        self.url = database_url(url)
        shown = shown_url(self.url)
        try:
            self.engine: Engine = _engine(self.url)
            _create_tables(self.engine)
            damage = _damage(self.engine)
        except (SQLAlchemyError, ImportError) as error:
            raise StoreUnavailable(shown, _reason(error)) from None
        if damage:
            self.engine.dispose()
            raise StoreUnavailable(shown, f"the file is damaged ({damage})")
        self._writer = _GroupCommit(self.engine)

    def close(self) -> None:
        self._writer.stop()
        self.engine.dispose()

    def create(
        self, session_id: str, header: dict[str, Any], events: Sequence[Any], clock: datetime
    ) -> None:
        """Store a new session with its first events."""
        created_at = datetime.now(UTC).isoformat()  # bookkeeping only; no case reads it
        with self.engine.begin() as conn:
            conn.execute(
                SESSIONS.insert().values(
                    id=session_id,
                    header=_dumps(header),
                    version=len(events),
                    clock=clock.isoformat(),
                    created_at=created_at,
                )
            )
            self._insert_events(conn, session_id, 0, events)

    def append(self, session_id: str, expected: int, events: Sequence[Any], clock: datetime) -> int:
        """Append ``events`` after event ``expected``; raise ``Conflict`` if that is stale.

        Returns the new version once the append has committed. Atomic across threads and
        processes: the conditional update and the inserts commit together or not at all.
        Appends that arrive together share one commit (one fsync): see ``_GroupCommit``.
        """
        pending = _Pending(session_id, expected, events, clock)
        self._writer.submit(pending)
        return expected + len(events)

    def version(self, session_id: str) -> int | None:
        """The session's version (its number of events), or ``None`` if there is no such session."""
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(SESSIONS.c.version).where(SESSIONS.c.id == session_id)
            ).scalar()
        if found is None:
            return None
        try:
            return int(found)
        except (TypeError, ValueError):
            raise UnreadableSession(session_id, f"its version is {found!r}, not a number") from None

    def load(self, session_id: str) -> StoredSession | None:
        """The session with every event, read in one transaction (a consistent version).

        Raises ``UnreadableSession`` if the rows are not what the store writes: a header that is
        not a JSON object, a clock that is not a time, or events that are not exactly ``0 …
        version - 1`` (a version ahead of its events would refuse every append for ever). The
        events' own JSON is checked by whoever reads ``log``.
        """
        with self.engine.connect() as conn, conn.begin():
            row = conn.execute(sa.select(SESSIONS).where(SESSIONS.c.id == session_id)).first()
            if row is None:
                return None
            rows = conn.execute(
                sa.select(EVENTS.c.seq, EVENTS.c.body)
                .where(EVENTS.c.session_id == session_id)
                .order_by(EVENTS.c.seq)
            ).all()
        try:
            header = json.loads(row.header)
            clock = datetime.fromisoformat(row.clock)
            version = int(row.version)
        except (TypeError, ValueError, RecursionError) as error:
            raise UnreadableSession(
                session_id, f"its header, clock or version cannot be read ({error})"
            ) from None
        if not isinstance(header, dict) or clock.tzinfo is None:
            raise UnreadableSession(
                session_id, "its header is not a JSON object or its clock has no zone"
            )
        seqs = [seq for seq, _ in rows]
        if seqs != list(range(version)):
            found = f"events {seqs[0]} to {seqs[-1]}" if seqs else "no events"
            raise UnreadableSession(
                session_id, f"its version is {version} but it holds {len(seqs)} ({found})"
            )
        log = "[" + ",".join(str(body) for _, body in rows) + "]"
        return StoredSession(row.id, header, version, clock, log)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(SESSIONS)).scalar_one())

    @staticmethod
    def _write(conn: sa.Connection, pending: _Pending) -> bool:
        """One append inside a transaction; False (nothing written) if its version is stale."""
        moved = conn.execute(
            SESSIONS.update()
            .where(SESSIONS.c.id == pending.session_id, SESSIONS.c.version == pending.expected)
            .values(version=pending.expected + len(pending.events), clock=pending.clock.isoformat())
        )
        if moved.rowcount != 1:
            return False
        SessionStore._insert_events(conn, pending.session_id, pending.expected, pending.events)
        return True

    @staticmethod
    def _insert_events(
        conn: sa.Connection, session_id: str, start: int, events: Sequence[Any]
    ) -> None:
        if events:
            conn.execute(
                EVENTS.insert(),
                [
                    {"session_id": session_id, "seq": start + i, "body": _dumps(e)}
                    for i, e in enumerate(events)
                ],
            )


def _reason(error: Exception) -> str:
    """The database's (or driver's) own first line, without SQLAlchemy's statement and link."""
    cause = getattr(error, "orig", None) or error
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__


def _damage(engine: Engine) -> str | None:
    """SQLite's own check of every page (about 1.5 s a gigabyte, once at start-up), so a
    scrambled file is refused before serving, not found out request by request."""
    if engine.dialect.name != "sqlite":
        return None  # a database server checks its own pages
    with engine.connect() as conn:
        found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check")]
    if found == ["ok"]:
        return None
    lines = [line for line in "\n".join(found).splitlines() if not line.startswith("***")]
    return "; ".join(lines[:3])


def _create_tables(engine: Engine) -> None:
    # Several server processes may start at once: if another created a table between our
    # look and our CREATE, look again (it is there now).
    for attempt in range(3):
        try:
            _METADATA.create_all(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == 2:
                raise
            time.sleep(0.05 * (attempt + 1))


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers and one writer work at once; FULL syncs the log at every commit,
        # so an acknowledged append survives a killed process or a power cut.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


class _Pending:
    """An append waiting for its commit."""

    __slots__ = ("clock", "done", "error", "events", "expected", "session_id")

    def __init__(
        self, session_id: str, expected: int, events: Sequence[Any], clock: datetime
    ) -> None:
        self.session_id = session_id
        self.expected = expected
        self.events = events
        self.clock = clock
        self.done = threading.Event()
        self.error: BaseException | None = None


class _GroupCommit:
    """One writer thread that commits the appends waiting at that moment in one transaction.

    SQLite (and any database) pays its fsync per commit, not per row: appends from many
    requests that arrive while a commit is under way are written together by the next, so
    durable throughput grows with concurrency instead of stopping at one fsync per action.
    Each caller waits until the commit that holds its append is done; a stale one in the group
    is refused alone (its conditional update matches nothing and it writes nothing).
    """

    MAX_GROUP = 256

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="isletflow-writer", daemon=True)
        self._thread.start()

    def submit(self, pending: _Pending) -> None:
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

    def _commit(self, group: list[_Pending]) -> None:
        try:
            with self._engine.begin() as conn:
                for pending in group:
                    if not SessionStore._write(conn, pending):
                        pending.error = Conflict(pending.session_id, pending.expected)
        except IntegrityError:
            # Nothing of the group was written; each caller reloads and sees the truth.
            for pending in group:
                pending.error = Conflict(pending.session_id, pending.expected)
        except BaseException as error:  # the database failed: nothing was committed
            for pending in group:
                if pending.error is None:
                    pending.error = error
        finally:
            for pending in group:
                pending.done.set()
