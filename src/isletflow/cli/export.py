"""``isletflow export``: a saved case in another system's format (FHIR for now)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .casefile import is_scenario, load_scenario, read_cases


@click.group()
def export() -> None:
    """Export saved cases to other systems' formats."""


@export.command()
@click.argument("case_files", nargs=-1, required=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the bundle here, not to stdout.",
)
@click.option(
    "--ndjson",
    "ndjson_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write bulk-data NDJSON (a file per resource type) here.",
)
@click.option(
    "--seed",
    type=int,
    help="The seed that produced the case(s): for a scenario, the seed to simulate "
    "with (default: the file's, else 0); for saved cases, provenance only.",
)
@click.option(
    "--n",
    "count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="For a scenario: how many cases to simulate (cases 0..n-1; needs --ndjson when above 1).",
)
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="Check the output with the FHIR models (needs isletflow[fhir]).",
)
def fhir(
    case_files: tuple[str, ...],
    out: Path | None,
    ndjson_dir: Path | None,
    seed: int | None,
    count: int,
    validate: bool,
) -> None:
    """Export cases as FHIR R4B: saved cases (timeline or snapshot JSON) or scenarios.

    A scenario (a bundled name such as standard, a YAML file, or JSON with timings) is simulated
    first, with --seed; --n simulates a cohort of it. One case gives one transaction Bundle; with
    --ndjson, any number of cases give bulk-data NDJSON files (Patient.ndjson, Observation.ndjson,
    ...).
    """
    from ..export.fhir import case_bundle, write_ndjson
    from .preflight import extra, output_file

    output_file(out, "--out")
    if validate:
        extra("fhir")

    # Provenance names the seed that produced a case: for a scenario, the one simulate used.
    def seed_of(path: str) -> int | None:
        return load_scenario(path).seed_for(seed) if is_scenario(path) else seed

    if ndjson_dir is not None:
        if out is not None:
            raise click.UsageError("give --out or --ndjson, not both")
        seeds = {seed_of(path) for path in case_files}
        cases = (case for path in case_files for case in read_cases(path, seed=seed, n=count))
        written = write_ndjson(
            cases, ndjson_dir, seed=seeds.pop() if len(seeds) == 1 else None, validate=validate
        )
        for kind, path in written.items():
            click.echo(f"{kind}\t{path}")
        return
    if len(case_files) != 1 or count != 1:
        raise click.UsageError("one case makes one bundle; for several, use --ndjson DIR")
    (case,) = read_cases(case_files[0], seed=seed)
    bundle = case_bundle(case, seed_of(case_files[0]), validate=validate)
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
