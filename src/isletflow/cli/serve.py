"""``isletflow serve``: the HTTP API and the trainer page, with sessions stored durably."""

from __future__ import annotations

import os

import click

TOKEN_VARIABLE = "ISLETFLOW_TOKEN"


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
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(host: str, port: int, db: str, log_level: str) -> None:
    """Serve the HTTP API (docs at /docs) and the trainer page (at /).

    If the environment variable ISLETFLOW_TOKEN is set, every API request must carry
    "Authorization: Bearer <token>".
    """  # fmt: skip
    import uvicorn  # the server extra loads only when serving

    from ..service import create_app

    token = os.environ.get(TOKEN_VARIABLE) or None
    app = create_app(db, token=token)
    where = f"http://{host}:{port}/"
    click.echo(f"isletflow serving on {where} (sessions in {db})", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)
