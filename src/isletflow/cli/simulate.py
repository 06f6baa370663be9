"""``isletflow simulate SCENARIO``: one case of a scenario, as a table, JSON or JSON Lines.

``--format json`` prints the first donor's case (id, outcome, timeline) and, as ``course``,
recipient ``--index``'s course record: the line ``cohort --out`` writes for it."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.argument("scenario")
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: the file's, else 0).")
@click.option(
    "--index",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Which case of the scenario's population.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="table; json (the recipient's course record, with this case); jsonl (events).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the timeline to a .png or .svg (isletflow[plots]).",
)
def simulate(scenario: str, seed: int | None, index: int, fmt: str, plot: Path | None) -> None:
    """Simulate one case of SCENARIO (a bundled name or a scenario file) and print its timeline.

    SCENARIO is a bundled scenario's name (standard, population, portal_pressure_high, …) or a
    scenario file (.yaml, .json).
    """
    from ..report import timeline_table
    from ..simulation import simulate as run
    from .casefile import load_scenario

    if plot is not None:
        from ..plots import check

        check(plot, "--plot")  # a bad path or no matplotlib: say so before the work
    loaded = load_scenario(scenario)
    case = run(loaded, seed=seed, index=index)
    if fmt == "table":
        click.echo(timeline_table(case))
    elif fmt == "jsonl":
        for event in case.timeline.to_python():
            click.echo(json.dumps(event, separators=(",", ":")))
    else:
        from ..course_run import course_record, simulate_course
        from ..export.identity import case_id
        from .casefile import CaseDocument

        outcome = case.outcome
        used = loaded.seed_for(seed)
        document = CaseDocument(
            case_id=case_id(loaded, used, index),
            scenario=loaded.name,
            seed=used,
            index=index,
            outcome=None
            if outcome is None
            else {"status": outcome.status, "code": outcome.code, "at": outcome.at.isoformat()},
            timeline=case.timeline.to_python(),
            course=course_record(simulate_course(loaded, seed, index)),
        )
        click.echo(json.dumps(document.model_dump(mode="json"), indent=2, allow_nan=False))
    if plot is not None:
        from ..plots import plot_case

        plot_case(case, plot)
