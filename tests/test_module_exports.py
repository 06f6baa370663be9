"""Module ``__all__`` lists hold only what is public or used elsewhere, not every name defined.

265 names sat in 48 modules' ``__all__``; most told a reader nothing about what the rest of the
package relies on. A name belongs in one if the public API table declares it, or if another file
(code, tests, examples, benchmarks) imports it from there or reads it off the module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import isletflow as fl

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "isletflow"


# Names of __all__ that nothing outside their module uses, in files this branch leaves to the
# engine-core step (which rewrites them): trim them there. An entry already gone is fine.
NOT_YET_TRIMMED = {
    "cohort": {"Count", "OutcomeCount", "Percentiles"},
    "export.schemas": {"DIALECT"},
    "library": {"ScenarioEntry", "entry"},
    "models": {"ApproachSpec"},
    "sampling": {"Sampler", "Timings"},
    "scenario": {"SCENARIO_SCHEMA_VERSION"},
    "scenario_sections": {
        "ComplicationsSpec",
        "DonorSpec",
        "PortalPressureSpec",
        "RecipientSpec",
        "TreatmentSpec",
    },
    "service.schemas": {"ProblemView"},
    "service.store": {"StoredSession"},
    "simulation": {"Policy"},
}


def _module_of(path: Path) -> str:
    """The dotted name, less ``isletflow.``, of a file under src/isletflow ("" for the package)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _join(module: str, name: str) -> str:
    return f"{module}.{name}" if module else name


def _dotted(node: ast.expr) -> list[str]:
    """``a.b.c`` as ["a", "b", "c"]; [] for anything that is not a chain of names."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    return [node.id, *parts] if isinstance(node, ast.Name) else []


def _uses(path: Path, modules: set[str]) -> set[tuple[str, str]]:
    """(module, name) for each name ``path`` imports from, or reads off, a module of the package."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    here = [part for part in _module_of(path).split(".") if part] if PACKAGE in path.parents else []
    if here and path.name != "__init__.py":
        here.pop()  # relative imports start from the module's package
    bound: dict[str, str] = {}  # a local name -> the package module it stands for
    found = {(module, name) for module, name in re.findall(r"isletflow\.([\w.]+):(\w+)", text)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                source = ".".join(
                    [*here[: len(here) - node.level + 1], *filter(None, [node.module])]
                )
            elif node.module == "isletflow" or (node.module or "").startswith("isletflow."):
                source = (node.module or "").removeprefix("isletflow").lstrip(".")
            else:
                continue
            for alias in node.names:
                if _join(source, alias.name) in modules:
                    bound[alias.asname or alias.name] = _join(source, alias.name)
                else:
                    found.add((source, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "isletflow":
                    inner = alias.name.removeprefix("isletflow").lstrip(".")
                    bound[alias.asname or "isletflow"] = inner if alias.asname else ""
    for node in ast.walk(tree):
        chain = _dotted(node) if isinstance(node, ast.Attribute) else []
        if chain and chain[0] in bound:
            module = bound[chain[0]]
            for part in chain[1:]:
                if _join(module, part) not in modules:
                    found.add((module, part))
                    break
                module = _join(module, part)
    return found


def _declared_all(path: Path) -> list[str]:
    """The names of a module's literal ``__all__`` list ([] if it has none)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = ast.unparse(node.targets[0]) if isinstance(node, ast.Assign) else ""
        if target == "__all__" and isinstance(node.value, ast.List):
            return [ast.literal_eval(item) for item in node.value.elts]
    return []


def test_all_holds_only_names_that_are_public_or_used_elsewhere() -> None:
    """Each name in a module's __all__ is public, used by another file, or awaits its trim."""
    modules = {"", *map(_module_of, PACKAGE.rglob("*.py"))}
    used: dict[tuple[str, str], set[Path]] = {}
    for folder in ("src", "tests", "examples", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            for use in _uses(path, modules):
                used.setdefault(use, set()).add(path)
    public = {(home, name) for name, home in fl._HOME.items()}
    public |= {(module, name) for module, names in fl._MODULES for name in names.split()}
    unused = [
        f"{_module_of(path)}.{name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in _declared_all(path)
        if (_module_of(path), name) not in public
        and not used.get((_module_of(path), name), set()) - {path}
        and name not in NOT_YET_TRIMMED.get(_module_of(path), set())
    ]
    assert not unused, f"used nowhere else: take these out of __all__: {unused}"
