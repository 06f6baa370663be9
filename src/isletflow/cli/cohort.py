"""``isletflow cohort SCENARIO --n N``: many cases, on every core or a Dask cluster."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from .running import cohort_options

if TYPE_CHECKING:
    from ..cohort import Engine


@click.command()
@click.argument("scenario")
@cohort_options()
@click.option("--chunk-size", type=click.IntRange(min=1), help="Cases per task (default: auto).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every recipient's course record to this JSON Lines file (docs/course.md).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="How to print the summary.",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "vector", "case"]),
    default="auto",
    show_default=True,
    help="vector: whole chunks as arrays; case: the per-case engine; auto: vector when it "
    "covers the scenario (same summary and records either way).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw outcomes and times to a .png or .svg (isletflow[plots]).",
)
def cohort(
    scenario: str,
    n: int,
    seed: int | None,
    workers: int | None,
    chunk_size: int | None,
    dask_address: str | None,
    out: Path | None,
    fmt: str,
    plot: Path | None,
    engine: str,
) -> None:
    """Simulate N recipients' courses of SCENARIO and summarise procedures and outcomes.

    SCENARIO is a bundled scenario's name (standard, population, portal_pressure_high, …) or a
    scenario file (.yaml, .json).
    """
    if dask_address and workers:
        raise click.UsageError("give --workers or --dask, not both")
    with ExitStack() as stack:
        from ..cohort import cohort_engine, dask_client_class, dask_executor, simulate_cohort
        from ..report import summary_table
        from .casefile import load_scenario
        from .preflight import output_file

        # Everything that can be checked is checked before the cohort runs, not after.
        output_file(out, "--out")
        if plot is not None:
            from ..plots import check

            check(plot, "--plot")
        if dask_address:
            dask_client_class()
        loaded = load_scenario(scenario)
        chosen = cast("Engine", engine)  # click has checked it is one of them
        ran, why = cohort_engine(loaded, chosen)
        executor = stack.enter_context(dask_executor(dask_address)) if dask_address else None
        click.echo(f"engine: {ran} ({why})", err=True)  # once everything it needs has answered
        bar = stack.enter_context(
            click.progressbar(length=n, label="simulating", file=sys.stderr, show_eta=True)
        )
        summary = simulate_cohort(
            loaded,
            n,
            seed,
            executor,
            workers=workers,
            chunk_size=chunk_size,
            records=out,
            progress=bar.update,
            engine=chosen,
        )
        stack.close()
        if fmt == "json":
            click.echo(summary.model_dump_json(indent=2))
        else:
            click.echo(summary_table(summary))
        if plot is not None:
            from ..plots import plot_cohort

            plot_cohort(summary, plot, loaded.protocol)
