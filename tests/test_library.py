"""The bundled scenario library: names, descriptions, loading, and the wheel's copy."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from isletflow import library
from isletflow.errors import InvalidInput
from isletflow.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]


def test_names_are_the_example_files() -> None:
    """Every file of examples/scenarios is a bundled scenario, named by its stem."""
    expected = sorted(p.stem for p in (ROOT / "examples" / "scenarios").glob("*.yaml"))
    assert list(library.names()) == expected
    assert {"standard", "population", "portal_pressure_high"} <= set(library.names())
    assert len(expected) == 22


def test_every_entry_has_a_description() -> None:
    """Each entry has a title and a description: the file's own (a neutral case brief), else its
    leading comment (which may name the lesson: bundled files all have their own)."""
    entries = {e.name: e for e in library.entries()}
    assert entries["standard"].description.startswith("Donor: 42 years, pancreas in UW solution")
    high = entries["portal_pressure_high"]
    assert high.title == "percutaneous case 7"
    assert "Recipient: R-001, 70 kg" in high.description
    assert "21 mmHg" not in high.description  # the leading comment's lesson, not the brief
    assert "expected:" not in high.description
    assert all(e.description for e in entries.values())


def test_load_by_name_and_by_path() -> None:
    """A name loads the bundled scenario; a path loads the file; both validated."""
    scenario = library.load("portal_pressure_high")
    assert isinstance(scenario, Scenario)
    name, same = library.resolve(ROOT / "examples" / "scenarios" / "portal_pressure_high.yaml")
    assert name == "portal_pressure_high"
    assert same == scenario


def test_an_unknown_name_lists_the_bundled_ones() -> None:
    """An unknown name is an InvalidInput naming the scenarios there are."""
    with pytest.raises(InvalidInput, match="standard"):
        library.load("no_such_scenario")
    with pytest.raises(InvalidInput, match="neither a bundled scenario"):
        library.resolve("no_such_scenario")


def test_the_wheel_carries_the_scenarios() -> None:
    """pyproject force-includes examples/scenarios as isletflow/scenarios, where library looks."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included == {"examples/scenarios": "isletflow/scenarios"}
    assert library.source().joinpath("standard.yaml").is_file()
