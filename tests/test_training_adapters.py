"""The adapters (training, the service, the trainer CLI) ask Case and Timeline, not the table."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from isletflow import training
from isletflow.training import lab, scoring

SRC = Path(__file__).resolve().parents[1] / "src" / "isletflow"
ADAPTERS = sorted([*SRC.glob("training/*.py"), *SRC.glob("service/*.py"), SRC / "cli" / "train.py"])
# What an adapter may read from ``workflow``: the table itself (its rows by name, its states,
# the kinds of row), never what Case, Check or Timeline answer (a step's kind, the deadlines
# armed, the state after an event, how a case ended).
TABLE = {"ACTIONS", "STATES", "Kind", "Step", "Recording"}
ALSO: dict[str, set[str]] = {}


def _name(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def _workflow_names(tree: ast.Module) -> set[str]:
    """Every name a module takes from ``isletflow.workflow``."""
    aliases, names = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if (node.module or "").endswith("workflow"):
                names |= {alias.name for alias in node.names}
            for alias in node.names:
                if alias.name == "workflow":
                    aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) in aliases:
            names.add(node.attr)
    return names


@pytest.mark.parametrize("path", ADAPTERS, ids=_name)
def test_adapters_read_only_the_table_from_workflow(path: Path) -> None:
    """No adapter re-derives from workflow what Case, Check or Timeline answers."""
    used = _workflow_names(ast.parse(path.read_text(encoding="utf-8")))
    assert used <= TABLE | ALSO.get(_name(path), set())


@pytest.mark.parametrize("path", ADAPTERS, ids=_name)
def test_no_adapter_folds_the_timeline_from_the_initial_state(path: Path) -> None:
    """The state after each event comes from Timeline.states(), not a fold from a named state."""
    assert '"harvest.procured"' not in path.read_text(encoding="utf-8")


def test_scoring_has_no_cross_clamp_of_its_own() -> None:
    """The cross-clamp is Timeline.cross_clamp and the outcome Timeline.outcome, not scoring's."""
    assert not hasattr(scoring, "cross_clamp")
    assert "outcome_of" not in scoring.__all__


def test_there_is_one_lab() -> None:
    """The scenario lab lives in training.lab; no fixed lab, no registry of kinds, no circle."""
    assert training.ScenarioLab is lab.ScenarioLab
    assert importlib.util.find_spec("isletflow.training.scenario_lab") is None
    for gone in ("FixedLab", "LAB_KINDS", "standard_plan"):
        assert not hasattr(training, gone)
        assert not hasattr(lab, gone)


# The modules this step rewrote; app.py keeps a few hand-packed lines it did not touch.
SERVICE = ("page.py", "readouts.py", "schemas.py", "sessions.py")
FORMATTED = sorted(
    [
        *SRC.glob("training/*.py"),
        *(SRC / "service" / name for name in SERVICE),
        SRC / "cli" / "train.py",
        SRC / "patient.py",
    ]
)


@pytest.mark.parametrize("path", [*FORMATTED, SRC / "service" / "app.py"], ids=_name)
def test_adapter_modules_stay_under_400_lines(path: Path) -> None:
    """Each adapter module is one concept of at most 400 lines (app.py's routes are split)."""
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


@pytest.mark.parametrize("path", FORMATTED, ids=_name)
def test_adapter_modules_take_the_formatters_layout(path: Path) -> None:
    """No line of these modules opts out of ruff format."""
    assert "fmt: skip" not in path.read_text(encoding="utf-8")
