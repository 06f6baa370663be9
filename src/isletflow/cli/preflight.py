"""What a command checks before its work starts: the paths it will write and the extras it needs.

A missing folder for ``--out`` or ``--plot``, an output path that is a folder, or a missing
optional extra is one ``error:`` line and exit 1 at once, not a traceback after a whole cohort
has run. Scenario and case files are checked when read, by ``isletflow.files``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import InvalidInput, MissingTool

__all__ = ["extra", "output_file"]

_EXTRAS = {
    # extra: what needs it, the modules it brings, how the message names them
    "fhir": ("FHIR validation", ("fhir.resources.R4B.bundle",), "fhir.resources"),
    "service": (
        "serving the HTTP API",
        ("fastapi", "uvicorn", "sqlalchemy"),
        "the service extra (FastAPI, uvicorn, SQLAlchemy)",
    ),
}


def output_file(path: Path | None, option: str) -> None:
    """``path`` (given as ``option``) can be written: not a folder, in a folder that exists."""
    if path is None:
        return
    if path.is_dir():
        raise InvalidInput.single(option, option, str(path), "is a folder; give a file name")
    if not path.parent.is_dir():
        rule = f"is in a folder that does not exist ({path.parent})"
        raise InvalidInput.single(option, option, str(path), rule)


def extra(name: str) -> None:
    """The optional extra ``name`` is installed, else MissingTool saying how to install it."""
    what, modules, needed = _EXTRAS[name]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            how = f"install it with: pip install 'isletflow[{name}]'"
            raise MissingTool(what, needed, how) from None
