"""The public API: what ``isletflow`` exports is what its docstring promises, and it works."""

from __future__ import annotations

import re
import runpy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import isletflow as fl
from builders import APPROACHES

EXAMPLES = Path(__file__).parents[1] / "examples"


def documented_names() -> list[str]:
    """The names listed in the ``The public API::`` block of the package docstring."""
    doc = fl.__doc__ or ""
    block = doc.split("The public API::", 1)[1].split("\n\n", 2)[1]
    names: list[str] = []
    for line in block.splitlines():
        listed = re.split(r"\s{2,}", line.strip())[0]
        names += [name.strip() for name in listed.split(",")]
    return names


def test_all_equals_the_names_the_docstring_lists() -> None:
    """isletflow.__all__ is exactly the list in the package docstring (no more, no fewer)."""
    names = documented_names()
    assert len(names) == len(set(names)) == 19
    assert sorted(fl.__all__) == sorted(names)


def test_every_public_name_exists() -> None:
    """Each name in __all__ is importable from isletflow."""
    for name in fl.__all__:
        assert getattr(fl, name) is not None


def test_errors_form_one_hierarchy() -> None:
    """InvalidInput and UnknownAction are IsletflowErrors and ValueErrors."""
    assert issubclass(fl.UnknownAction, fl.InvalidInput)
    for error in (fl.InvalidInput, fl.UnknownAction):
        assert issubclass(error, fl.IsletflowError)
        assert issubclass(error, ValueError)


@pytest.mark.parametrize("approach", APPROACHES)
def test_the_standard_case_example_completes(approach: str) -> None:
    """examples/standard_case.py walks each approach's case to completion."""
    example = runpy.run_path(str(EXAMPLES / "standard_case.py"))
    case = example["standard_case"](approach)
    assert case.state == "completed"
    assert case.outcome is not None
    assert (case.outcome.status, case.outcome.code) == ("completed", "optimal")
    assert not [e for e in case.timeline if e.kind == "refused"]


def test_design_walkthrough_of_the_public_api() -> None:
    """The calls DESIGN.md shows (new, state, phase, allowed, check, act, advance) behave."""
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    case = fl.Case.new(
        donor=fl.Donor(age_years=40, cross_clamp_at=start),
        recipient=fl.Recipient(id="R-7", weight_kg=80),
        approach="percutaneous",
        protocol=fl.Protocol(),
        clock=fl.SimulatedClock(start),
    )
    assert (case.state, case.phase) == ("harvest.procured", "harvest")
    assert [c.action for c in case.allowed()] == ["start_isolation", "abort", "note"]
    assert case.check("release").failures[0].code == "not_allowed"
    out = case.act("start_isolation", after=timedelta(hours=5))
    assert out.accepted
    assert bool(out) is True
    assert out.failures == ()
    events = case.advance(timedelta(hours=80))
    assert [e.kind for e in events] == ["advanced"]
    assert case.outcome is None
    assert fl.Case.replay(case.timeline) == case
    assert fl.Case.restore(case.snapshot()) == case


def test_accelerated_clock_follows_its_wall_clock() -> None:
    """An AcceleratedClock at 60x moves an hour per wall minute, and can be skipped ahead."""
    wall = [100.0]
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    clock = fl.AcceleratedClock(start, factor=60, wall=lambda: wall[0])
    wall[0] += 60
    assert clock.now() == start + timedelta(hours=1)
    clock.advance(timedelta(hours=2))
    assert clock.now() == start + timedelta(hours=3)
    assert isinstance(clock, fl.Clock)


def test_every_public_name_has_a_home_and_loads() -> None:
    """Each name of __all__ is served lazily from its module, and an unknown one is refused."""
    import importlib

    import isletflow

    assert set(isletflow._HOME) == set(isletflow.__all__)
    for name in isletflow.__all__:
        home = importlib.import_module(f"isletflow.{isletflow._HOME[name]}")
        assert getattr(isletflow, name) is getattr(home, name)
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = isletflow.no_such_thing  # type: ignore[attr-defined]
