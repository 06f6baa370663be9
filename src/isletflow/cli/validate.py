"""``isletflow validate SCENARIO``: check a scenario file or a bundled one; list every problem."""

from __future__ import annotations

import click


@click.command()
@click.argument("scenario")
def validate(scenario: str) -> None:
    """Check SCENARIO; list every problem with its path (exit 1 if there are any).

    SCENARIO is a scenario file (.yaml, .json) or a bundled scenario's name (standard,
    population, …).
    """
    from .casefile import load_scenario

    loaded = load_scenario(scenario)
    title = f" ({loaded.name})" if loaded.name else ""
    click.echo(f"{scenario}: a valid scenario{title}.")
