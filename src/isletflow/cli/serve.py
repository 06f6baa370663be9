"""``isletflow serve``: the HTTP API and the trainer page, with sessions stored durably."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import click

from ..errors import InvalidInput
from .preflight import extra


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; the default answers this machine only.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--db",
    default="isletflow-sessions.sqlite3",
    show_default=True,
    help="A SQLite file, or a database URL (postgresql://user@host/name).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the database (each with its own session cache).",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(host: str, port: int, db: str, workers: int, log_level: str) -> None:
    """Serve the HTTP API (docs at /docs) and the trainer page (at /).

    If the environment variable ISLETFLOW_TOKEN is set, every API request must carry
    "Authorization: Bearer <token>".
    """
    extra("service")
    _check_database(db)
    import uvicorn  # the server extra loads only when serving

    from ..service.app import DB_VARIABLE, TOKEN_VARIABLE, create_app
    from ..service.store import database_url

    click.echo(f"isletflow serving on http://{host}:{port}/ (sessions in {db})", err=True)
    if workers == 1:
        app = create_app(db, token=os.environ.get(TOKEN_VARIABLE) or None)
        uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)
        return
    # Workers are separate processes: each builds its app from the environment.
    os.environ[DB_VARIABLE] = database_url(db)
    uvicorn.run(
        "isletflow.service.app:from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
    )


def _check_database(db: str) -> None:
    """The database at ``db`` opens as a session store, or one InvalidInput line says why.

    Checked once before serving, so that a folder, a missing folder, a damaged file or a server
    that does not answer is one line and exit 1, not a traceback from every worker.
    """
    import sqlalchemy as sa

    from ..service.store import SessionStore

    def refuse(rule: str) -> NoReturn:
        raise InvalidInput.single("--db", "--db", db, rule)

    if "://" not in db:
        path = Path(db).expanduser()
        if path.is_dir():
            refuse(f"is a folder; give a database file, e.g. {path / 'isletflow-sessions.sqlite3'}")
        if not path.parent.is_dir():
            refuse(f"is in a folder that does not exist ({path.parent})")
        if path.exists() and not path.is_file():
            refuse("is not a regular file")
    try:
        store = SessionStore(db)
    except (sa.exc.SQLAlchemyError, ImportError, OSError, ValueError) as error:
        refuse(f"cannot be opened as the session database ({_reason(error)})")
    try:
        if store.url.startswith("sqlite"):
            # A file whose header is fine but whose pages are not opens, then fails every
            # request: SQLite's quick check reads each page once, so it is found here.
            with store.engine.connect() as connection:
                verdict = connection.exec_driver_sql("PRAGMA quick_check").scalar()
            if verdict != "ok":
                lines = [line for line in str(verdict).splitlines() if "***" not in line]
                first = (lines or ["no answer"])[0][:160]
                refuse(f"is damaged (SQLite's quick check: {first})")
    except sa.exc.SQLAlchemyError as error:
        refuse(f"cannot be read as the session database ({_reason(error)})")
    finally:
        store.close()


def _reason(error: Exception) -> str:
    """The first line of what the database driver said, not SQLAlchemy's whole report."""
    cause = getattr(error, "orig", None) or error
    return (str(cause).splitlines() or [type(cause).__name__])[0][:160]
