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
so the cost of that sync is paid once per group, not once per action (``commit``).

Each event row carries a running digest (``chain``: SHA-256 of the previous row's digest and its
own body), and every so many events an append keeps beside the log the session's checkpoint
(``checkpoint`` in ``append``: opaque JSON text to the store), bound to the log by a digest of
its content and of the chain at its version. ``load`` gives the newest checkpoint whose digest
verifies and only the events after it; one that does not verify is ignored (logged at warning)
and the whole log is read. Every event read is checked against its chain, so a body edited
behind the service's back makes the session unreadable rather than silently different.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..errors import IsletflowError
from .commit import GroupCommit, Pending
from .database import CHECKPOINTS, EVENTS, SESSIONS, damage, opened, reason

__all__ = [
    "Conflict",
    "SessionStore",
    "StoreUnavailable",
    "StoredSession",
    "UnreadableSession",
    "database_url",
    "shown_url",
]

_LOG = logging.getLogger("isletflow.service")


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
    whoever knows what an event is); ``events`` parses it. With a ``checkpoint`` (its JSON text,
    verified against the log) ``log`` holds only the events after it, from ``start`` on; the
    events before are read with ``SessionStore.events``.
    """

    id: str
    header: dict[str, Any]
    version: int
    clock: datetime
    log: str
    checkpoint: str | None = None
    start: int = 0

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


def _chained(previous: str, body: str) -> str:
    """The chain digest of an event row: of the previous row's digest and this row's body."""
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def _bound(session_id: str, version: int, chain: str, body: str) -> str:
    """A checkpoint's digest: of its content, and of the log's chain at its version."""
    text = f"isletflow checkpoint\n{session_id}\n{version}\n{chain}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


class SessionStore:
    """Sessions in a SQL database, durable once a call returns."""

    def __init__(self, url: str) -> None:
        self.url = database_url(url)
        shown = shown_url(self.url)
        try:
            self.engine: Engine = opened(self.url)
            damaged = damage(self.engine)
        except (SQLAlchemyError, ImportError) as error:
            raise StoreUnavailable(shown, reason(error)) from None
        if damaged:
            self.engine.dispose()
            raise StoreUnavailable(shown, f"the file is damaged ({damaged})")
        self._writer = GroupCommit(self.engine, self._write)

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
            self._insert_events(conn, session_id, 0, events, session_id)

    def append(
        self,
        session_id: str,
        expected: int,
        events: Sequence[Any],
        clock: datetime,
        checkpoint: str | None = None,
    ) -> int:
        """Append ``events`` after event ``expected``; raise ``Conflict`` if that is stale.

        Returns the new version once the append has committed. Atomic across threads and
        processes: the conditional update and the inserts commit together or not at all.
        Appends that arrive together share one commit (one fsync): see ``commit``. With
        ``checkpoint`` (the session as it stands after these events, JSON text) the session's
        checkpoint is replaced by it in the same transaction, bound to the log at the new
        version.
        """
        pending = Pending(session_id, expected, events, clock, checkpoint)
        self._writer.submit(pending)
        if pending.stale:
            raise Conflict(session_id, expected)
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

    def load(self, session_id: str, *, checkpoint: bool = True) -> StoredSession | None:
        """The session, read in one transaction (a consistent version): its newest checkpoint
        that verifies and the events after it, or (with none, or ``checkpoint=False``) every
        event.

        Raises ``UnreadableSession`` if the rows are not what the store writes: a header that is
        not a JSON object, a clock that is not a time, events that are not exactly ``start …
        version - 1`` (a version ahead of its events would refuse every append for ever), or an
        event whose body disagrees with its chain digest. The events' own JSON is checked by
        whoever reads ``log``.
        """
        with self.engine.connect() as conn, conn.begin():
            row = conn.execute(sa.select(SESSIONS).where(SESSIONS.c.id == session_id)).first()
            if row is None:
                return None
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
            point = self._checkpoint(conn, session_id, version) if checkpoint else None
            start, chain = (point[0], point[1]) if point is not None else (0, session_id)
            rows = self._rows(conn, session_id, start, version, whole=True)
        _verified(session_id, rows, start, chain)
        log = "[" + ",".join(str(body) for _, body, _ in rows) + "]"
        body = point[2] if point is not None else None
        return StoredSession(row.id, header, version, clock, log, body, start)

    def events(self, session_id: str, stop: int) -> str:
        """The session's first ``stop`` events as one JSON array, each checked against its chain
        (``UnreadableSession`` if one is missing or disagrees): the part of a log a checkpoint
        spared its load, read when something asks for the whole timeline."""
        with self.engine.connect() as conn, conn.begin():
            rows = self._rows(conn, session_id, 0, stop, whole=False)
        _verified(session_id, rows, 0, session_id)
        return "[" + ",".join(str(body) for _, body, _ in rows) + "]"

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(SESSIONS)).scalar_one())

    @staticmethod
    def _rows(
        conn: sa.Connection, session_id: str, start: int, stop: int, *, whole: bool
    ) -> list[Any]:
        """Rows ``start … stop - 1``, exactly; with ``whole`` none may follow them either."""
        query = sa.select(EVENTS.c.seq, EVENTS.c.body, EVENTS.c.chain).where(
            EVENTS.c.session_id == session_id, EVENTS.c.seq >= start
        )
        if not whole:
            query = query.where(EVENTS.c.seq < stop)
        rows = list(conn.execute(query.order_by(EVENTS.c.seq)).all())
        seqs = [seq for seq, _, _ in rows]
        if seqs != list(range(start, stop)):
            found = f"events {seqs[0]} to {seqs[-1]}" if seqs else "no events"
            raise UnreadableSession(
                session_id, f"its version is {stop} but it holds {len(seqs)} ({found})"
            )
        return rows

    @staticmethod
    def _checkpoint(
        conn: sa.Connection, session_id: str, version: int
    ) -> tuple[int, str, str] | None:
        """The session's checkpoint (its version, the chain there, its body) if it verifies."""
        row = conn.execute(
            sa.select(CHECKPOINTS).where(CHECKPOINTS.c.session_id == session_id)
        ).first()
        if row is None:
            return None
        at = row.version if isinstance(row.version, int) and 0 < row.version <= version else None
        chain = (
            conn.execute(
                sa.select(EVENTS.c.chain).where(
                    EVENTS.c.session_id == session_id, EVENTS.c.seq == at - 1
                )
            ).scalar()
            if at is not None
            else None
        )
        if (
            at is None
            or not isinstance(chain, str)
            or not isinstance(row.body, str)
            or not isinstance(row.digest, str)
            or not hmac.compare_digest(row.digest, _bound(session_id, at, chain, row.body))
        ):
            _LOG.warning(
                "session %s: its checkpoint (version %r) does not match its log; "
                "ignored, the whole log is read and replayed",
                session_id,
                row.version,
            )
            return None
        return at, chain, row.body

    @staticmethod
    def _write(conn: sa.Connection, pending: Pending) -> bool:
        """One append inside a transaction; False (nothing written) if its version is stale."""
        session_id, expected = pending.session_id, pending.expected
        moved = conn.execute(
            SESSIONS.update()
            .where(SESSIONS.c.id == session_id, SESSIONS.c.version == expected)
            .values(version=expected + len(pending.events), clock=pending.clock.isoformat())
        )
        if moved.rowcount != 1:
            return False
        previous = (
            conn.execute(
                sa.select(EVENTS.c.chain).where(
                    EVENTS.c.session_id == session_id, EVENTS.c.seq == expected - 1
                )
            ).scalar()
            if expected
            else session_id
        )
        chain = SessionStore._insert_events(conn, session_id, expected, pending.events, previous)
        if pending.checkpoint is not None and chain is not None:
            version = expected + len(pending.events)
            conn.execute(sa.delete(CHECKPOINTS).where(CHECKPOINTS.c.session_id == session_id))
            conn.execute(
                CHECKPOINTS.insert().values(
                    session_id=session_id,
                    version=version,
                    body=pending.checkpoint,
                    digest=_bound(session_id, version, chain, pending.checkpoint),
                )
            )
        return True

    @staticmethod
    def _insert_events(
        conn: sa.Connection,
        session_id: str,
        start: int,
        events: Sequence[Any],
        previous: str | None,
    ) -> str | None:
        """Insert ``events`` from ``start``, chained from ``previous`` (None: the session's rows
        predate chains, and so do these); the chain at the last of them."""
        values = []
        for i, event in enumerate(events):
            body = _dumps(event)
            previous = _chained(previous, body) if previous is not None else None
            values.append(
                {"session_id": session_id, "seq": start + i, "body": body, "chain": previous}
            )
        if values:
            conn.execute(EVENTS.insert(), values)
        return previous


def _verified(session_id: str, rows: Sequence[Any], start: int, chain: str) -> None:
    """Check each row's body against its chain digest, from ``chain`` (the digest before
    ``start``). Rows written before chains existed carry none; once one does, all after do."""
    previous: str | None = chain
    for seq, body, stored in rows:
        if stored is None and (previous is None or seq == 0):
            previous = None  # a store from before chains: the replay is the only check
            continue
        if previous is None or stored != _chained(previous, str(body)):
            raise UnreadableSession(
                session_id, f"event {seq} is not the one written (its digest disagrees)"
            )
        previous = stored
