"""``isletflow diagram``: the workflow as Mermaid, DOT, SVG or PNG, optionally with a case."""

from __future__ import annotations

from pathlib import Path

import click

from ..export.diagram import FORMATS, case_path, dot, mermaid, render
from .casefile import read_case


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="mermaid",
    show_default=True,
    help="svg and png need Graphviz's dot program.",
)
@click.option(
    "--case",
    "case_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A saved case (timeline, snapshot, or simulate --format json) whose path through "
    "the workflow is highlighted.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not to stdout."
)
def diagram(fmt: str, case_file: Path | None, out: Path | None) -> None:
    """Draw the workflow from its state table."""
    from .preflight import output_file

    output_file(out, "--out")
    path = case_path(read_case(case_file).case.timeline) if case_file is not None else None
    if fmt == "mermaid":
        data = mermaid(path).encode()
    elif fmt == "dot":
        data = dot(path).encode()
    else:
        data = render(dot(path), "svg" if fmt == "svg" else "png")
    if out is not None:
        out.write_bytes(data)
    else:
        click.echo(data, nl=False)  # bytes go to the binary stream, as they are
