"""One exception tree: every error isletflow defines is an IsletflowError, drawn in errors.py."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import isletflow
from isletflow import errors
from isletflow.cli import main
from isletflow.errors import InvalidInput, IsletflowError, MissingTool, Problem
from strategies_sim import EXAMPLES

STANDARD = str(EXAMPLES / "standard.yaml")


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of the package, by name."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(isletflow.__path__, "isletflow."):
        module = importlib.import_module(info.name)
        for name, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, BaseException) and member.__module__ == info.name:
                assert found.setdefault(name, member) is member, f"two errors named {name}"
    return found


def _drawing() -> dict[str, str | None]:
    """Each class in errors.py's drawing, with the class drawn as its parent (None: the root)."""
    doc = errors.__doc__ or ""
    block = doc.split("::", 1)[1].strip("\n").split("\n\n", 1)[0]
    parents: dict[str, str | None] = {}
    open_at: list[tuple[int, str]] = []  # (column, name) of the classes above this line
    for line in block.splitlines():
        match = re.search(r"[A-Z]\w+", line)
        assert match, f"a line of the drawing names no class: {line!r}"
        column, name = match.start(), match.group()
        while open_at and open_at[-1][0] >= column:
            open_at.pop()
        parents[name] = open_at[-1][1] if open_at else None
        open_at.append((column, name))
    return parents


def test_every_error_is_an_isletflow_error_drawn_in_errors_py() -> None:
    """Each Exception subclass in the package derives from IsletflowError and is in the drawing."""
    defined = _exception_classes()
    drawn = _drawing()
    assert defined, "the walk found no exception classes"
    strays = [name for name, cls in defined.items() if not issubclass(cls, IsletflowError)]
    assert not strays, f"not IsletflowErrors: {strays}"
    assert sorted(defined) == sorted(drawn), "errors.py's drawing and the package disagree"


def test_the_drawing_shows_each_error_under_its_base() -> None:
    """In errors.py's drawing each class hangs under the class it directly derives from."""
    defined = _exception_classes()
    for name, parent in _drawing().items():
        if parent is None:
            assert defined[name] is IsletflowError
        else:
            assert defined[parent] in defined[name].__bases__, f"{name} is not a {parent}"


def test_moved_errors_keep_their_old_import_paths() -> None:
    """SimulationStuck and MissingTool live in errors.py; their old homes re-export them."""
    from isletflow.export import MissingTool as from_export
    from isletflow.simulation import SimulationStuck as from_simulation

    assert from_export is MissingTool
    assert from_simulation is errors.SimulationStuck


def test_a_plot_without_matplotlib_is_missing_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without matplotlib a plot is MissingTool naming the plots extra; the CLI says one line."""
    from isletflow.plots import plot_case
    from isletflow.scenario import Scenario
    from isletflow.simulation import simulate

    case = simulate(Scenario.load(STANDARD))
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(MissingTool, match=r"pip install 'isletflow\[plots\]'") as caught:
        plot_case(case, tmp_path / "case.png")
    assert caught.value.needed == "matplotlib"
    result = CliRunner().invoke(main, ["simulate", STANDARD, "--plot", str(tmp_path / "c.png")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: a plot needs matplotlib, which is not installed; "
        "install it with: pip install 'isletflow[plots]'"
    ]


def test_a_dask_cohort_without_dask_is_missing_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Dask, a cohort on a cluster raises MissingTool naming the dask extra, one line."""
    from isletflow.cohort import dask_executor

    monkeypatch.setitem(sys.modules, "distributed", None)
    with (
        pytest.raises(MissingTool, match=r"pip install 'isletflow\[dask\]'"),
        dask_executor("tcp://127.0.0.1:1"),
    ):
        pass  # pragma: no cover - the executor is never made
    result = CliRunner().invoke(main, ["cohort", STANDARD, "--n", "2", "--dask", "x:1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: a cohort on a Dask cluster needs dask.distributed, which is not installed; "
        "install it with: pip install 'isletflow[dask]'"
    ]


def test_a_clock_factor_of_zero_is_invalid_input() -> None:
    """An AcceleratedClock at factor 0 is refused as InvalidInput naming the field and rule."""
    with pytest.raises(InvalidInput) as caught:
        isletflow.AcceleratedClock(datetime(2026, 1, 5, tzinfo=UTC), factor=0)
    (problem,) = caught.value.problems
    assert (problem.location, problem.value, problem.rule) == ("factor", 0, "must be above 0")


def _alias_bomb(levels: int) -> list[Any]:
    """The value a YAML alias bomb expands to: 9**levels leaves, sharing their lists."""
    value: list[Any] = ["lol"] * 9
    for _ in range(levels):
        value = [value] * 9
    return value


def test_a_problem_shows_a_huge_value_without_expanding_it() -> None:
    """A problem's value is shown shortened, however large (9**10 leaves, a 5,000-digit int)."""
    problem = Problem("donor.age_years", _alias_bomb(10), "must be a number")
    started = time.perf_counter()
    text = str(problem)
    assert time.perf_counter() - started < 0.5
    assert len(text) < 120
    assert str(Problem("seed", 10**5000, "is too large")) == (
        "seed: <an integer of 5000 digits> is too large"
    )


def test_a_long_problem_list_is_cut_in_the_message_but_kept_whole() -> None:
    """A message spells out 20 problems and counts the rest; ``problems`` keeps them all."""
    error = InvalidInput("scenario", [Problem(f"x.{i}", i, "is wrong") for i in range(25)])
    assert len(error.problems) == 25
    assert str(error).splitlines()[-1] == "  - ... and 5 more"
    assert len(str(error).splitlines()) == 22


@pytest.mark.parametrize(
    ("value", "hint"),
    [("UWW", " (did you mean 'UW'?)"), ("htk", " (did you mean 'HTK'?)"), ("saline", "")],
)
def test_did_you_mean_names_the_nearest_option(value: str, hint: str) -> None:
    """did_you_mean suggests the nearest option, ignoring case, or nothing when none is near."""
    assert errors.did_you_mean(value, ["UW", "HTK", "UW+PFC", "HTK+PFC"]) == hint
