"""One exception tree: every error isletflow defines is an IsletflowError, drawn in errors.py."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import isletflow
from isletflow import errors
from isletflow.errors import IsletflowError, MissingTool


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
