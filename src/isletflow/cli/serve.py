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
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="A web origin allowed to call the API from a browser, e.g. http://localhost:5173 "
    "(repeat for more; default: ISLETFLOW_CORS_ORIGINS, else none).",
)
def serve(
    host: str, port: int, db: str, workers: int, log_level: str, cors_origins: tuple[str, ...]
) -> None:
    """Serve the HTTP API (docs at /docs) and the trainer page (at /).

    If the environment variable ISLETFLOW_TOKEN is set, every API request must carry
    "Authorization: Bearer <token>".
    """
    extra("service")
    from ..service.middleware import CORS_VARIABLE, checked_origins

    if cors_origins:
        # Checked now (one line, exit 1), and handed to every worker through the environment.
        os.environ[CORS_VARIABLE] = " ".join(checked_origins(cors_origins, "--cors-origin"))
    _check_database(db)
    import uvicorn  # the server extra loads only when serving

    from ..service.app import DB_VARIABLE, TOKEN_VARIABLE, create_app, serving_line
    from ..service.store import database_url

    click.echo(serving_line(host, port, db), err=True)
    if workers == 1:
        app = create_app(db, token=os.environ.get(TOKEN_VARIABLE))
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
    from ..service.store import SessionStore, StoreUnavailable

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
        # The store checks itself as it opens (SQLite's quick check included): one check, there.
        SessionStore(db).close()
    except StoreUnavailable as error:
        refuse(f"cannot be opened as the session database ({error.reason})")
