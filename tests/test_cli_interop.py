"""The schema, diagram and export commands, run in-process through the click group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fhir.resources.R4B.bundle import Bundle

import isletflow as fl
from isletflow.cli import main
from isletflow.export import diagram as diagram_module
from isletflow.export.diagram import mermaid
from isletflow.export.fhir import case_bundle
from isletflow.export.schemas import SCHEMAS, schema_text
from strategies_interop import new_case, run, walk


@pytest.fixture
def saved(tmp_path: Path) -> tuple[fl.Case, Path, Path]:
    """A standard case saved as a timeline and as a snapshot."""
    approach = fl.Approach.PERCUTANEOUS
    case = run(new_case(approach), walk(approach, spike=True))
    timeline = tmp_path / "case.timeline.json"
    timeline.write_text(case.timeline.to_json(), encoding="utf-8")
    snapshot = tmp_path / "case.snapshot.json"
    snapshot.write_text(case.snapshot().model_dump_json(), encoding="utf-8")
    return case, timeline, snapshot


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_schema_prints_one_and_lists_all() -> None:
    """``isletflow schema NAME`` prints the schema; without NAME it lists the names."""
    code, out, _ = invoke("schema", "protocol")
    assert code == 0
    assert out == schema_text("protocol")
    code, out, _ = invoke("schema")
    assert out.split() == sorted(SCHEMAS)


def test_schema_write_regenerates_the_published_files(tmp_path: Path) -> None:
    """``isletflow schema --write DIR`` writes every schema as the code makes it."""
    code, _, _ = invoke("schema", "--write", str(tmp_path))
    assert code == 0
    for name in SCHEMAS:
        assert (tmp_path / f"{name}.schema.json").read_text() == schema_text(name)


def test_unknown_schema_is_a_one_line_error() -> None:
    """A wrong schema name exits 1 with an error message, not a traceback."""
    code, _, err = invoke("schema", "scenery")
    assert code == 1
    assert err.startswith("error: schema has 1 problem")
    assert "Traceback" not in err


def test_diagram_defaults_to_mermaid_and_highlights_a_case(
    saved: tuple[fl.Case, Path, Path], tmp_path: Path
) -> None:
    """``isletflow diagram`` prints Mermaid; ``--case`` marks the path; ``--out`` writes a file."""
    _, timeline, snapshot = saved
    assert invoke("diagram")[1] == mermaid()
    code, out, _ = invoke("diagram", "--format", "dot", "--case", str(timeline))
    assert code == 0
    assert out.startswith("digraph isletflow {")
    assert 'penwidth="2.5"' in out
    target = tmp_path / "d.mmd"
    code, _, _ = invoke("diagram", "--case", str(snapshot), "--out", str(target))
    assert "class " in target.read_text()


def test_diagram_svg_without_graphviz_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--format svg`` with no ``dot`` program says what to install, exit 1."""
    monkeypatch.setattr(diagram_module.shutil, "which", lambda name: None)
    code, _, err = invoke("diagram", "--format", "svg")
    assert code == 1
    assert "install Graphviz" in err
    assert "Traceback" not in err


def test_export_fhir_from_timeline_or_snapshot(saved: tuple[fl.Case, Path, Path]) -> None:
    """A saved timeline and a saved snapshot of one case export the same bundle."""
    case, timeline, snapshot = saved
    from_timeline = json.loads(invoke("export", "fhir", str(timeline), "--seed", "9")[1])
    from_snapshot = json.loads(invoke("export", "fhir", str(snapshot), "--seed", "9")[1])
    assert from_timeline == from_snapshot == case_bundle(case, seed=9)
    Bundle.model_validate(from_timeline)


def test_export_fhir_ndjson_and_out(saved: tuple[fl.Case, Path, Path], tmp_path: Path) -> None:
    """``--ndjson DIR`` writes a file per type for many cases; ``--out`` writes the bundle."""
    _, timeline, snapshot = saved
    code, out, _ = invoke("export", "fhir", str(timeline), str(snapshot), "--ndjson",
                          str(tmp_path / "bulk"), "--seed", "1")  # fmt: skip
    assert code == 0
    assert "Patient\t" in out
    assert len((tmp_path / "bulk" / "Patient.ndjson").read_text().splitlines()) == 2
    target = tmp_path / "bundle.json"
    invoke("export", "fhir", str(timeline), "--out", str(target))
    assert json.loads(target.read_text())["type"] == "transaction"


def test_export_fhir_refuses_bad_input(tmp_path: Path, saved: tuple[fl.Case, Path, Path]) -> None:
    """A file that is no case is an error (exit 1); two files without --ndjson misuse (exit 2)."""
    _, timeline, _ = saved
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    code, _, err = invoke("export", "fhir", str(bad))
    assert code == 1
    assert err.startswith("error: case file")
    assert "Traceback" not in err
    code, _, err = invoke("export", "fhir", str(timeline), str(timeline))
    assert code == 2
    assert "--ndjson" in err
