"""The engine core's shape, as the engine-core issue asks: one path, small modules, no circles."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from isletflow.case import Case
from isletflow.simulation import simulate

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "isletflow"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("isletflow", *(parts[:-1] if parts[-1] == "__init__" else parts)))


MODULES = {_module(path): path for path in SOURCES}


def _imports(path: Path) -> set[str]:
    """Every isletflow module this file imports, at its top or inside a function."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {name for name in found if name in MODULES and name != here}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph``, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for nxt in sorted(graph[node]):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_no_import_circle() -> None:
    """No module imports, even lazily, a module that imports it back (through any chain)."""
    graph = {name: _imports(path) for name, path in MODULES.items()}
    # A package's __init__ importing its own modules is how a package is made, not a circle.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    assert _cycle(graph) is None, f"import circle: {' -> '.join(_cycle(graph) or [])}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_module_is_small_and_formatted_whole(path: Path) -> None:
    """Every module is under 400 lines and lets ruff format lay out all of it."""
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400
    assert "# fmt: skip" not in text


def test_no_engine_choice_and_no_failures_only_protocol() -> None:
    """One mover: no engine parameter in the public signatures; no only_failures anywhere."""
    for function in (Case.new, Case.replay, Case.restore, simulate):
        assert "engine" not in inspect.signature(function).parameters, function
    assert not [p for p in SOURCES if "only_failures" in p.read_text(encoding="utf-8")]
