"""``isletflow compare A B --n N``: two scenarios on the same recipients' random numbers."""

from __future__ import annotations

import sys
from contextlib import ExitStack

import click


@click.command()
@click.argument("scenario_a")
@click.argument("scenario_b")
@click.option(
    "--n", "n", type=click.IntRange(min=2, max=10**9), required=True, help="How many recipients."
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: A's, else 0).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes to use (default: every core; 1 runs in this process).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(
    scenario_a: str, scenario_b: str, n: int, seed: int | None, workers: int | None, as_json: bool
) -> None:
    """Compare SCENARIO_B with SCENARIO_A on the same N recipients: paired differences.

    Both run recipients 0 … N-1 under one seed, so each recipient draws the same random
    numbers in both (docs/psa.md says which fields must match for the pairing to hold).
    """
    with ExitStack() as stack:
        from ..compare import compare as run_compare
        from .casefile import load_scenario

        a, b = load_scenario(scenario_a), load_scenario(scenario_b)
        bar = stack.enter_context(
            click.progressbar(length=2 * n, label="simulating", file=sys.stderr)
        )
        result = run_compare(a, b, n, seed, workers=workers, progress=bar.update)
        stack.close()
        click.echo(result.model_dump_json(indent=2) if as_json else result.table())
