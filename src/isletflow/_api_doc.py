"""``docs/api.md``, the public API reference, made from the table in ``isletflow/__init__.py``.

Regenerate it with ``python -m isletflow._api_doc > docs/api.md``; a test keeps the stored file
equal to what this prints. It imports every public module, so it lives apart from the package's
light ``__init__``.
"""

from __future__ import annotations

import importlib
import inspect
import types
from typing import Any, get_args

import isletflow

__all__ = ["markdown"]


def summary(obj: Any) -> str:
    """The summary of ``obj``'s own docstring (its first paragraph, which may wrap); a union of
    types is told by its members."""
    if isinstance(obj, types.UnionType):
        return "One of " + ", ".join(f"`{member.__name__}`" for member in get_args(obj)) + "."
    if isinstance(obj, type):
        doc = vars(obj).get("__doc__")  # its own, not a base class's
    elif callable(obj) or isinstance(obj, types.ModuleType):
        doc = obj.__doc__
    else:
        doc = None
    if not doc or not doc.strip():
        raise ValueError(f"{obj!r} has no docstring of its own to describe it in docs/api.md")
    first = inspect.cleandoc(doc).split("\n\n", 1)[0]
    return " ".join(first.split()).replace("``", "`")


def _line(module: str, name: str) -> str:
    value = getattr(importlib.import_module(f"isletflow.{module}"), name)
    return f"- `{name}`: {summary(value)}"


def markdown() -> str:
    """The text of ``docs/api.md``."""
    out = [
        "# The public API",
        "",
        "What isletflow promises: the names `isletflow` exports, and the public modules beside it",
        "with the names each offers, each with the summary line of its docstring. Everything else",
        "is internal and may change without notice.",
        "",
        "This file is made from the table in `src/isletflow/__init__.py`: edit the table or the",
        "docstrings, then run `python -m isletflow._api_doc > docs/api.md` (a test keeps the two",
        "equal).",
        "",
        "## `isletflow`",
        "",
        "`import isletflow as fl`; each name loads from its module on first use.",
    ]
    for what, names in isletflow._NAMES:
        out += ["", f"### {what[:1].upper()}{what[1:]}", ""]
        for dotted in names.split():
            module, _, name = dotted.rpartition(".")
            out.append(_line(module, name))
    out += ["", "## The public modules"]
    for module, names in isletflow._MODULES:
        doc = summary(importlib.import_module(f"isletflow.{module}"))
        out += ["", f"### `isletflow.{module}`", "", doc, ""]
        out += [_line(module, name) for name in names.split()]
    internal = ", ".join(f"`isletflow.{module}`" for module in isletflow._INTERNAL.split())
    out += ["", "## Internal modules", "", internal, ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(), end="")
