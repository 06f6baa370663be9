"""The bundled scenario library: the scenarios of ``examples/scenarios`` by name.

``names()`` lists them (``standard``, ``population``, ``portal_pressure_high``, …), ``entries()``
gives each one's title and description (the file's ``description``, else its leading comment),
``load(name)`` reads one as a ``Scenario``, and ``resolve`` takes a name or a file path.

An installed wheel carries the files inside the package (``isletflow/scenarios``, a hatch
``force-include``); a source checkout has them in ``examples/scenarios``. The package is looked
at first, so an installed isletflow never reads a directory beside it by accident.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import InvalidInput
from .files import parse_mapping, read_mapping
from .scenario import Scenario

__all__ = ["ScenarioEntry", "entries", "entry", "load", "names", "resolve", "source"]

_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class ScenarioEntry:
    """One bundled scenario: its ``name`` (the file's stem), title and description."""

    name: str
    title: str
    description: str


def _checkout() -> Path:
    # src/isletflow/library.py -> the checkout's root
    return Path(__file__).resolve().parents[2] / "examples" / "scenarios"


@functools.cache
def source() -> Traversable:
    """Where the bundled scenarios are read from: the package's, else the checkout's."""
    packaged = resources.files("isletflow") / "scenarios"
    if packaged.is_dir():
        return packaged
    return _checkout()


def _files() -> dict[str, Traversable]:
    found = {}
    for item in source().iterdir():
        stem, dot, suffix = item.name.rpartition(".")
        if dot and f".{suffix}" in _SUFFIXES and item.is_file():
            found[stem] = item
    return dict(sorted(found.items()))


def names() -> tuple[str, ...]:
    """The names of the bundled scenarios, sorted."""
    return tuple(_files())


def _leading_comment(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line.removeprefix("#").strip()
        if not body.startswith("expected:"):  # the example tests' expectation, not prose
            lines.append(body)
    return " ".join(lines)


@functools.cache
def entry(name: str) -> ScenarioEntry:
    """The title and description of the bundled scenario ``name``."""
    item = _file(name)
    text = item.read_text(encoding="utf-8")
    data = parse_mapping(text, Path(item.name).suffix.lower(), f"scenario {name}")
    description = str(data.get("description") or "").strip() or _leading_comment(text)
    return ScenarioEntry(name, str(data.get("name") or name), description)


def entries() -> tuple[ScenarioEntry, ...]:
    """Every bundled scenario with its title and description, sorted by name."""
    return tuple(entry(name) for name in names())


def _file(name: str) -> Traversable:
    found = _files().get(name)
    if found is None:
        raise InvalidInput.single("scenario", "name", name, "must be one of: " + ", ".join(names()))
    return found


@functools.cache
def load(name: str) -> Scenario:
    """The bundled scenario ``name``, validated (a ``Scenario`` is frozen, so it is shared)."""
    item = _file(name)
    with resources.as_file(item) as path:
        return Scenario.from_mapping(read_mapping(path), what=f"scenario {name}")


def resolve(name_or_path: str | Path) -> tuple[str, Scenario]:
    """A bundled scenario by name, or a scenario file by path; with the name to show."""
    text = str(name_or_path)
    if text in names():
        return text, load(text)
    path = Path(name_or_path)
    if path.suffix in _SUFFIXES or path.exists():
        return path.stem, Scenario.load(path)
    raise InvalidInput.single(
        "scenario",
        "SCENARIO",
        text,
        "is neither a bundled scenario (" + ", ".join(names()) + ") nor a scenario file",
    )
