"""JSON Schemas of every file and payload isletflow reads or writes, made from its pydantic models.

The published copies live in ``schemas/NAME.schema.json`` at the repository root; a test keeps
them equal to what this module makes, and ``isletflow schema --write schemas/`` rewrites them.
Schemas are in *validation* mode: they describe what isletflow accepts (a duration may be
``"6h"``, ISO 8601 or seconds), which includes everything it writes: a fixed value's bounds and
options are in them (``Range`` and ``OneOf`` publish theirs). What JSON Schema cannot say, that
a distribution's parameters lie in its field's range and in order (a lognormal's p95 above its
median), ``isletflow validate`` checks.

Each is made for any consumer, not only pydantic: an ``$id`` (``urn:isletflow:schema:NAME``),
definitions named for what they are (``UniformOfDuration``, not pydantic's
``Uniform_Annotated_timedelta__…``), and only standard keywords (no OpenAPI ``discriminator``,
no ``source`` annotation: the source tag is in the description; one type per ``type``), so
they compile under Ajv's strict mode.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import re
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
    "course-record": "course_run:CourseRecord",
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
        generated: dict[str, Any] = target()
    else:
        generated = TypeAdapter(target).json_schema(mode="validation")
    result: dict[str, Any] = {"$schema": DIALECT, "$id": f"urn:isletflow:schema:{name}"}
    if "title" not in generated and name in _TITLES:
        result["title"] = _TITLES[name]
    result.update({k: v for k, v in generated.items() if k != "$schema"})
    return _portable(result)


_KINDS = {
    "timedelta": "Duration",
    "float": "Number",
    "int": "Integer",
    "bool": "Flag",
    "str": "Text",
}
_GENERIC = re.compile(r"(?P<base>[A-Za-z0-9]+)_(?P<argument>.+)_")


def _def_name(name: str) -> str:
    """A generic model's definition named for what it holds: ``Uniform_float_`` is
    ``UniformOfNumber``; ``Choice_Annotated_timedelta__…`` is ``ChoiceOfDuration``."""
    generic = _GENERIC.fullmatch(name)
    if generic is None:
        return name
    kinds = [kind for word, kind in _KINDS.items() if word in generic["argument"]]
    return f"{generic['base']}Of{kinds[0]}" if kinds else re.sub(r"[^A-Za-z0-9]", "", name)


def _portable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with plain definition names and only standard keywords (see the module)."""
    renamed = {old: _def_name(old) for old in schema.get("$defs", {})}
    if len(set(renamed.values())) != len(renamed):  # pragma: no cover - a new generic's clash
        raise ValueError(f"two definitions would share a name: {sorted(renamed.items())}")
    refs = {f"#/$defs/{old}": f"#/$defs/{new}" for old, new in renamed.items()}

    def clean(node: Any) -> Any:
        if isinstance(node, list):
            return [clean(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = refs.get(value, value)
            elif key == "$defs" and isinstance(value, dict):
                out[key] = {renamed.get(k, k): clean(v) for k, v in value.items()}
            elif key == "discriminator" and isinstance(value, dict):
                continue  # OpenAPI's keyword: the oneOf beside it says the same
            elif key == "source" and isinstance(value, str):
                continue  # an annotation; the description carries the tag
            elif key == "type" and isinstance(value, list):
                out["anyOf" if "anyOf" not in node else "allOf"] = (
                    [{"type": kind} for kind in value]
                    if "anyOf" not in node
                    else [{"anyOf": [{"type": kind} for kind in value]}]
                )
            else:
                out[key] = clean(value)
        return out

    cleaned: dict[str, Any] = clean(schema)
    return cleaned


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
