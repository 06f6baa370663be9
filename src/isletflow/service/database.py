"""The session store's tables, and opening a database as one: created, upgraded and checked.

Three tables: a row per session (``isletflow_sessions``: header, version, clock), its events
(``isletflow_events``, keyed by ``(session_id, seq)``, each with its chain digest) and its newest
checkpoint (``isletflow_checkpoints``). A store written before events carried a chain digest
gains the column when it is opened; its old rows keep none (they are checked by replay alone).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

__all__ = ["CHECKPOINTS", "EVENTS", "SESSIONS", "damage", "opened", "reason"]

_METADATA = sa.MetaData()


def _of_session() -> sa.Column[str]:
    """The session a row belongs to: part of the row's key, deleted with its session."""
    return sa.Column(
        "session_id",
        sa.String(64),
        sa.ForeignKey("isletflow_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    )


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
    _of_session(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("body", sa.Text, nullable=False),
    # SHA-256 of the previous row's chain and this body (NULL in stores written before it).
    sa.Column("chain", sa.String(64), nullable=True),
)

CHECKPOINTS = sa.Table(
    "isletflow_checkpoints",
    _METADATA,
    _of_session(),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
)


def opened(url: str) -> Engine:
    """An engine on ``url`` with the store's tables there, made or upgraded (SQLAlchemy's or the
    driver's error if it cannot be: ``reason`` says it in a line)."""
    engine = _engine(url)
    _create_tables(engine)
    return engine


def reason(error: Exception) -> str:
    """The database's (or driver's) own first line, without SQLAlchemy's statement and link."""
    cause = getattr(error, "orig", None) or error
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__


def damage(engine: Engine) -> str | None:
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
            _add_chains(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == 2:
                raise
            time.sleep(0.05 * (attempt + 1))


def _add_chains(engine: Engine) -> None:
    """Give the events table of a store from before chain digests its ``chain`` column."""
    columns = {column["name"] for column in sa.inspect(engine).get_columns(EVENTS.name)}
    if "chain" not in columns:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE {EVENTS.name} ADD COLUMN chain VARCHAR(64)")


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
