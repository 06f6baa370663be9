"""``isletflow export``: a saved case in another system's format (FHIR for now)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .casefile import read_case

_CASE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def export() -> None:
    """Export saved cases to other systems' formats."""


@export.command()
@click.argument("case_files", nargs=-1, required=True, type=_CASE)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the bundle here, not to stdout.")  # fmt: skip
@click.option("--ndjson", "ndjson_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write bulk-data NDJSON (a file per resource type) here.")  # fmt: skip
@click.option("--seed", type=int, help="The seed that produced the case(s), for provenance.")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Check the output with the FHIR models (needs isletflow[fhir]).")  # fmt: skip
def fhir(
    case_files: tuple[Path, ...], out: Path | None, ndjson_dir: Path | None, seed: int | None,
    validate: bool,
) -> None:  # fmt: skip
    """Export saved cases (timeline or snapshot JSON) as FHIR R4B.

    One file gives one transaction Bundle; with --ndjson, any number of files give bulk-data
    NDJSON files (Patient.ndjson, Observation.ndjson, ...).
    """
    from ..export.fhir import case_bundle, write_ndjson

    if ndjson_dir is not None:
        if out is not None:
            raise click.UsageError("give --out or --ndjson, not both")
        cases = (read_case(path) for path in case_files)
        for kind, path in write_ndjson(cases, ndjson_dir, seed=seed, validate=validate).items():
            click.echo(f"{kind}\t{path}")
        return
    if len(case_files) != 1:
        raise click.UsageError("one case file makes one bundle; for several, use --ndjson DIR")
    bundle = case_bundle(read_case(case_files[0]), seed, validate=validate)
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
