"""``isletflow export``: a saved case in another system's format (FHIR for now)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import click

from .casefile import read_cases


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
    "--type",
    "kind",
    type=click.Choice(["transaction", "batch"]),
    help="transaction: atomic, at most --max-entries entries; batch: each entry on its own. "
    "Default: transaction for a case, batch for a --course.",
)
@click.option(
    "--course",
    is_flag=True,
    help="For a scenario: the whole course of recipient --index (one Patient, every donor's "
    "case) as one bundle.",
)
@click.option(
    "--index",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="With --course: which recipient of the scenario.",
)
@click.option(
    "--max-entries",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="The most entries a transaction may have (servers cap it; Medplum at 50).",
)
@click.option(
    "--case-id",
    help="The case's id, which every resource id derives from (default: from the scenario, "
    "seed and index, or the id a case document carries).",
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
    kind: Literal["transaction", "batch"] | None,
    course: bool,
    index: int,
    max_entries: int,
    case_id: str | None,
    validate: bool,
) -> None:
    """Export cases as FHIR R4B: saved cases or scenarios.

    A saved case is a timeline or snapshot JSON, or the document simulate --format json writes.
    A scenario (a bundled name such as standard, a YAML file, or JSON with timings) is simulated
    first, with --seed; --n simulates a cohort of it. One case gives one Bundle; with --ndjson,
    any number of cases give bulk-data NDJSON files (Patient.ndjson, Observation.ndjson, ...).
    A case has the same resource ids in both. --course exports a recipient's course: one Patient
    and each donor's case, the first with the ids of the scenario's single case.
    """
    from ..export.fhir import case_bundle, write_ndjson
    from .preflight import extra, output_file

    output_file(out, "--out")
    if validate:
        extra("fhir")
    if ndjson_dir is not None:
        if out is not None:
            raise click.UsageError("give --out or --ndjson, not both")
        if case_id is not None and (len(case_files) != 1 or count != 1):
            raise click.UsageError("--case-id names one case; give one case, or leave it out")
        cases = (loaded for path in case_files for loaded in read_cases(path, seed=seed, n=count))
        if case_id is not None:
            cases = (loaded._replace(case_id=case_id) for loaded in cases)
        written = write_ndjson(cases, ndjson_dir, validate=validate)
        for name, path in written.items():
            click.echo(f"{name}\t{path}")
        return
    if course:
        _course(case_files, out, seed, index, kind or "batch", max_entries, case_id, validate)
        return
    if len(case_files) != 1 or count != 1:
        raise click.UsageError("one case makes one bundle; for several, use --ndjson DIR")
    (loaded,) = read_cases(case_files[0], seed=seed)
    bundle = case_bundle(
        loaded.case,
        loaded.seed,
        case_index=loaded.case_index,
        case_id=case_id or loaded.resolved_id(),
        kind=kind or "transaction",
        max_entries=max_entries,
        validate=validate,
    )
    _write(bundle, out)


def _write(bundle: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _course(
    case_files: tuple[str, ...],
    out: Path | None,
    seed: int | None,
    index: int,
    kind: Literal["transaction", "batch"],
    max_entries: int,
    course_id: str | None,
    validate: bool,
) -> None:
    """The course of recipient ``index`` of the one scenario given, as one bundle."""
    from ..course_run import simulate_course
    from ..export.fhir import course_bundle
    from ..export.identity import case_id
    from .casefile import is_scenario, load_scenario

    if len(case_files) != 1 or not is_scenario(case_files[0]):
        raise click.UsageError("--course takes one scenario (a bundled name or a scenario file)")
    scenario = load_scenario(case_files[0])
    used = scenario.seed_for(seed)
    course = simulate_course(scenario, used, index)
    bundle = course_bundle(
        course.cases,
        course_id or case_id(scenario, used, index),
        used,
        case_index=index,
        kind=kind,
        max_entries=max_entries,
        validate=validate,
    )
    _write(bundle, out)
