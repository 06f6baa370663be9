"""Every command that takes a scenario also takes a bundled scenario's name, as ``train`` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from isletflow.cli import main
from strategies_sim import EXAMPLES

STANDARD = str(EXAMPLES / "standard.yaml")

# Each command with a scenario in it, and the options it needs to run quickly and repeatably.
COMMANDS = {
    "simulate": ("simulate", "{}", "--format", "json"),
    "cohort": ("cohort", "{}", "--n", "3", "--workers", "1", "--format", "json"),
    "validate": ("validate", "{}"),
    "export fhir": ("export", "fhir", "{}", "--no-validate"),
}


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _command(name: str, scenario: str) -> list[str]:
    return [scenario if word == "{}" else word for word in COMMANDS[name]]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_bundled_name_reads_the_bundled_file(command: str) -> None:
    """`standard` runs the command exactly as the bundled examples/scenarios/standard.yaml does."""
    by_name = _run(*_command(command, "standard"))
    by_file = _run(*_command(command, STANDARD))
    assert by_name.exit_code == 0, by_name.output
    assert by_file.exit_code == 0, by_file.output
    if command == "validate":
        assert by_name.output.startswith("standard: a valid scenario")
        assert by_name.output.split(":", 1)[1] == by_file.output.split(":", 1)[1]
    else:
        assert json.loads(by_name.stdout) == json.loads(by_file.stdout)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_neither_a_file_nor_a_bundled_name_is_a_clean_error(command: str) -> None:
    """An unknown name exits 1 with train's error naming it and the bundled names, no traceback."""
    result = _run(*_command(command, "nonesuch"))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output == _run("train", "nonesuch").output
    assert result.output.startswith("error: scenario has 1 problem:")
    assert "'nonesuch' is neither a bundled scenario (" in result.output
    assert "standard" in result.output


def test_export_simulates_a_bundled_cohort_as_ndjson(tmp_path: Path) -> None:
    """`export fhir population --n 3 --ndjson DIR` writes three simulated patients."""
    result = _run(
        "export",
        "fhir",
        "population",
        "--n",
        "3",
        "--seed",
        "2",
        "--no-validate",
        "--ndjson",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "Patient.ndjson").read_text().splitlines()) == 3
