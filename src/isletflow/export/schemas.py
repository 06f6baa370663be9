"""JSON Schemas of every file and payload isletflow reads or writes, made from its pydantic models.

The published copies live in ``schemas/NAME.schema.json`` at the repository root; a test keeps
them equal to what this module makes, and ``isletflow schema --write schemas/`` rewrites them.
Schemas are in *validation* mode: they describe what isletflow accepts (a duration may be
``"6h"``, ISO 8601 or seconds), which includes everything it writes.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from ..errors import InvalidInput
from ..timeline import JsonEvent

EVENT = JsonEvent
"""One timeline event, told apart by its ``kind``."""
TIMELINE = list[JsonEvent]
"""A timeline as ``Timeline.to_json`` writes it: the events in order, the first ``created``."""

__all__ = ["DIALECT", "EVENT", "SCHEMAS", "TIMELINE", "schema", "schema_text", "write_schemas"]

DIALECT = GenerateJsonSchema.schema_dialect
"""JSON Schema draft 2020-12: the dialect pydantic writes."""

# name -> "module:attribute" (relative to isletflow) of a pydantic model or type, or of a method
# that makes the schema itself: the scenario module publishes its own, so that loading a scenario
# never needs this layer. Add a schema by adding a line; it is imported only when asked for.
SCHEMAS: dict[str, str] = {
    "protocol": "protocol:Protocol",
    "scenario": "scenario:Scenario.json_schema",
    "case-snapshot": "timeline:CaseSnapshot",
    "timeline-event": "export.schemas:EVENT",
    "timeline": "export.schemas:TIMELINE",
}

_TITLES = {
    "timeline-event": "Event",
    "timeline": "Timeline",
}


def _target(name: str) -> Any:
    if name not in SCHEMAS:
        raise InvalidInput.single(
            "schema", "name", name, "is not a schema; known: " + ", ".join(sorted(SCHEMAS))
        )
    module_name, attribute = SCHEMAS[name].split(":")
    module = importlib.import_module(f"isletflow.{module_name}")
    return functools.reduce(getattr, attribute.split("."), module)


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) called ``name`` (one of ``SCHEMAS``)."""
    target = _target(name)
    if inspect.ismethod(target):  # the model's own module makes its schema
        published: dict[str, Any] = target()
        return published
    generated = TypeAdapter(target).json_schema(mode="validation")
    result: dict[str, Any] = {"$schema": DIALECT}
    if "title" not in generated and name in _TITLES:
        result["title"] = _TITLES[name]
    result.update(generated)
    return result


def schema_text(name: str) -> str:
    """The schema as the published file holds it: sorted keys, two-space indent, a final newline."""
    return json.dumps(schema(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: str | Path) -> list[Path]:
    """Write every schema to ``directory/NAME.schema.json``; return the paths written."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(SCHEMAS):
        path = out / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written
