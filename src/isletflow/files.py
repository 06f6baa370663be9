"""Reading TOML, JSON and YAML files whose top level is a mapping.

Scenarios, protocols and rubrics are each one such file; every reader of them comes through
``read_mapping``, so a file that cannot be read, is not valid or is not a mapping is reported
the same way for each: as ``InvalidInput`` naming the file.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml

from .errors import InvalidInput, Problem

__all__ = ["read_mapping"]


def read_mapping(path: Path) -> dict[str, Any]:
    """Read a TOML, JSON or YAML file whose top level is a mapping."""
    what = f"file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput.single(
            what, "path", str(path), f"cannot be read ({error.strerror})"
        ) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise InvalidInput.single(
                what, "path", str(path), "must end in .toml, .json, .yaml or .yml"
            )
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise InvalidInput(what, [Problem("(file)", path.name, f"is not valid: {error}")]) from None
    if not isinstance(data, dict):
        raise InvalidInput.single(what, "(root)", type(data).__name__, "must be a mapping of keys")
    return data
