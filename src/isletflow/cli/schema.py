"""``isletflow schema``: print one JSON Schema, list them, or write them all."""

from __future__ import annotations

from pathlib import Path

import click

from ..export.schemas import SCHEMAS, schema_text, write_schemas


@click.command()
@click.argument("name", required=False)
@click.option(
    "--write",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write every schema to DIRECTORY/NAME.schema.json (e.g. schemas/).",
)
def schema(name: str | None, directory: Path | None) -> None:
    """Print the JSON Schema NAME; without NAME, list the names.

    Schemas describe the files and payloads isletflow reads and writes (protocol, case
    snapshot, timeline, timeline event), made from the same models that validate them.
    """
    if directory is not None:
        for path in write_schemas(directory):
            click.echo(str(path))
        return
    if name is None:
        for known in sorted(SCHEMAS):
            click.echo(known)
        return
    click.echo(schema_text(name), nl=False)
