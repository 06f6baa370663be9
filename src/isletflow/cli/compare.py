"""``isletflow compare A B --n N``: two scenarios on the same recipients' random numbers."""

from __future__ import annotations

import sys
from contextlib import ExitStack

import click

from .running import cohort_options


@click.command()
@click.argument("scenario_a")
@click.argument("scenario_b")
@cohort_options(least=2, seed="Seed (default: A's, else 0).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(
    scenario_a: str,
    scenario_b: str,
    n: int,
    seed: int | None,
    workers: int | None,
    dask_address: str | None,
    as_json: bool,
) -> None:
    """Compare SCENARIO_B with SCENARIO_A on the same N recipients: paired differences.

    Both run recipients 0 … N-1 under one seed, so each recipient draws the same random
    numbers in both (docs/psa.md says which fields must match for the pairing to hold).
    """
    if dask_address and workers:
        raise click.UsageError("give --workers or --dask, not both")
    with ExitStack() as stack:
        from ..cohort import dask_client_class, dask_executor
        from ..compare import compare as run_compare
        from .casefile import load_scenario

        a, b = load_scenario(scenario_a), load_scenario(scenario_b)
        if dask_address:
            dask_client_class()  # the extra, checked before any work
        executor = stack.enter_context(dask_executor(dask_address)) if dask_address else None
        bar = stack.enter_context(
            click.progressbar(length=2 * n, label="simulating", file=sys.stderr)
        )
        result = run_compare(a, b, n, seed, executor, workers=workers, progress=bar.update)
        stack.close()
        click.echo(result.model_dump_json(indent=2) if as_json else result.table())
