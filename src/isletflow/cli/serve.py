"""``isletflow serve``: the HTTP API and the trainer page, with sessions stored durably."""

from __future__ import annotations

import os

import click


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
