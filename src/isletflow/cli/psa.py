"""``isletflow psa SCENARIO --draws D --n N``: parameter uncertainty × patient variability."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click

from .running import cohort_options


@click.command()
@click.argument("scenario")
@click.option(
    "--draws",
    type=click.IntRange(min=2, max=10**6),
    required=True,
    help="Outer draws of the uncertain parameters.",
)
@cohort_options(recipients="Recipients per draw.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (every draw).")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the PRCC of each parameter, by outcome, to a .png or .svg (isletflow[plots]).",
)
def psa(
    scenario: str,
    draws: int,
    n: int,
    seed: int | None,
    workers: int | None,
    dask_address: str | None,
    as_json: bool,
    plot: Path | None,
) -> None:
    """Run D draws of SCENARIO's uncertain parameters x N recipients; rank them by PRCC.

    SCENARIO is a scenario file (or a bundled name) with an uncertain: section naming the
    model coefficients and protocol values to draw (docs/psa.md).
    """
    if dask_address and workers:
        raise click.UsageError("give --workers or --dask, not both")
    with ExitStack() as stack:
        from ..cohort import dask_client_class, dask_executor
        from ..psa import psa as run_psa
        from .casefile import load_scenario

        if plot is not None:
            from ..plots import check

            check(plot, "--plot")
        loaded = load_scenario(scenario)
        if dask_address:
            dask_client_class()  # the extra, checked before any work
        executor = stack.enter_context(dask_executor(dask_address)) if dask_address else None
        bar = stack.enter_context(
            click.progressbar(length=draws * n, label="simulating", file=sys.stderr)
        )
        result = run_psa(loaded, draws, n, seed, executor, workers=workers, progress=bar.update)
        stack.close()
        click.echo(result.model_dump_json(indent=2) if as_json else result.table())
        if plot is not None:
            from ..plots import plot_psa

            plot_psa(result, plot)
