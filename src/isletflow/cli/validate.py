"""``isletflow validate FILE``: check a scenario file and list every problem in it."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check scenario FILE; list every problem with its path (exit 1 if there are any)."""
    from ..scenario import Scenario

    scenario = Scenario.load(file)
    title = f" ({scenario.name})" if scenario.name else ""
    click.echo(f"{file}: a valid scenario{title}.")
