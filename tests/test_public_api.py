"""The public API: one table in ``isletflow/__init__.py`` declares it, and the rest follows it.

The table gives the names ``isletflow`` exports with their home modules, the public modules
beside it and the internal ones; ``__all__``, the docstring, the lazy loading and docs/api.md are
made from it, and these tests hold the package, the type checkers' imports and the docs to it.
"""

from __future__ import annotations

import ast
import importlib
import re
import runpy
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import isletflow as fl
from builders import APPROACHES
from isletflow import _api_doc

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
PACKAGE = ROOT / "src" / "isletflow"


def documented_names() -> list[str]:
    """The names listed in the ``The public API::`` block of the package docstring."""
    doc = fl.__doc__ or ""
    block = doc.split("The public API::", 1)[1].split("\n\n", 2)[1]
    names: list[str] = []
    for line in block.splitlines():
        listed = re.split(r"\s{2,}", line.strip())[0]
        if line.startswith("    ") and not line.startswith("     "):  # not a wrapped description
            names += [name.strip() for name in listed.split(",")]
    return names


def public_modules() -> dict[str, list[str]]:
    """The second tier as the table declares it: module -> its public names."""
    return {module: names.split() for module, names in fl._MODULES}


def package_modules() -> list[str]:
    """Every module under src/isletflow, dotted and relative to the package ("cli.train")."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            found.append(".".join(parts))
    return found


def test_all_equals_the_names_the_docstring_lists() -> None:
    """isletflow.__all__ is exactly the list in the package docstring (no more, no fewer)."""
    names = documented_names()
    assert len(names) == len(set(names))
    assert sorted(fl.__all__) == sorted(names)


def test_the_docstring_lists_the_public_and_the_internal_modules() -> None:
    """The package docstring names each public module and each internal one from the table."""
    doc = " ".join((fl.__doc__ or "").split())
    for module, names in public_modules().items():
        assert f"{module} {', '.join(names)}" in doc
    internal = doc.split("Everything else is internal and may change: ", 1)[1]
    assert internal.startswith(", ".join(fl._INTERNAL.split()) + ".")


def test_import_works_without_docstrings() -> None:
    """Under ``python -OO``, which strips docstrings, the package still imports and exports."""
    code = "import isletflow; print(isletflow.__doc__, len(isletflow.__all__))"
    done = subprocess.run(
        [sys.executable, "-OO", "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["None", str(len(fl.__all__))]


def test_type_checkers_see_exactly_the_table() -> None:
    """The TYPE_CHECKING imports are the table's names from their homes, each marked exported."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    (block,) = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    imported = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        assert node.level == 1
        for alias in node.names:
            assert alias.asname == alias.name, f"write `{alias.name} as {alias.name}`"
            imported[alias.name] = node.module
    assert imported == fl._HOME


def test_every_module_is_public_or_declared_internal() -> None:
    """Each module of the package is a home of a public name, a public module, or internal."""
    homes = set(fl._HOME.values())
    public = set(public_modules())
    internal = set(fl._INTERNAL.split())
    unplaced = [
        module
        for module in package_modules()
        if module not in homes | public | internal
        and f"{module.rpartition('.')[0]}.*" not in internal
    ]
    assert not unplaced, f"place these in the table of src/isletflow/__init__.py: {unplaced}"
    assert not (homes | public) & internal
    assert (homes | public) <= set(package_modules())


def test_public_modules_offer_their_declared_names() -> None:
    """Each public module has every name the table declares for it, in its own ``__all__``."""
    for module, names in public_modules().items():
        loaded = importlib.import_module(f"isletflow.{module}")
        missing = [name for name in names if name not in getattr(loaded, "__all__", ())]
        assert not missing, f"isletflow.{module} lacks {missing}"


def test_api_doc_is_made_from_the_table() -> None:
    """docs/api.md is what ``python -m isletflow._api_doc`` prints from the table now."""
    stored = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert stored == _api_doc.markdown(), "regenerate: python -m isletflow._api_doc > docs/api.md"


def test_api_doc_has_a_line_for_every_public_name() -> None:
    """docs/api.md lists each exported name and each public module's names once."""
    text = _api_doc.markdown()
    for name in fl.__all__:
        assert text.count(f"\n- `{name}`: ") == 1, name
    for module, names in public_modules().items():
        section = text.split(f"### `isletflow.{module}`\n", 1)[1].split("\n### ", 1)[0]
        assert [
            line.split("`")[1] for line in section.splitlines() if line.startswith("- ")
        ] == names


def test_a_name_without_a_docstring_cannot_be_documented() -> None:
    """The doc generator refuses a public name with no docstring of its own, naming it."""

    class Bare:
        pass

    with pytest.raises(ValueError, match="Bare"):
        _api_doc.summary(Bare)
    assert _api_doc.summary(int | str) == "One of `int`, `str`."


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
    import isletflow

    assert set(isletflow._HOME) == set(isletflow.__all__)
    for name in isletflow.__all__:
        home = importlib.import_module(f"isletflow.{isletflow._HOME[name]}")
        assert getattr(isletflow, name) is getattr(home, name)
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = isletflow.no_such_thing  # type: ignore[attr-defined]
