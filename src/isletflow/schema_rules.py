"""How a scenario field's rule shows in its JSON Schema: ``Range`` bounds, ``OneOf`` options.

``distributions.Range`` and ``distributions.OneOf`` check a value as it loads; as the base of
both, ``PublishedRule`` writes the same rule into the field's schema, so a schema consumer
refuses what ``isletflow validate`` refuses. Only a *fixed* value gets it (``minimum`` and
``maximum`` on the field's plain number, ``enum`` on its plain text): a distribution's definition
is shared by every field of its kind, so its parameters are checked by isletflow alone. A
duration (written ``"6h"``) has no numeric bound in a schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import GetJsonSchemaHandler

__all__ = ["PublishedRule"]


def _annotate(schema: Any, kind: str, rules: dict[str, Any]) -> None:
    """Add ``rules`` to every ``{"type": kind}`` in ``schema`` (not through a ``$ref``)."""
    if isinstance(schema, dict):
        if schema.get("type") == kind:
            schema.update(rules)
        for value in schema.values():
            _annotate(value, kind, rules)
    elif isinstance(schema, list):
        for item in schema:
            _annotate(item, kind, rules)


class PublishedRule:
    """A field rule that states itself in the field's JSON Schema (see the module)."""

    __slots__ = ()

    def __get_pydantic_json_schema__(
        self, schema: Any, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        found: dict[str, Any] = handler(schema)
        options = getattr(self, "options", None)
        if options:  # OneOf: a fixed text is one of them (none: any text)
            _annotate(found, "string", {"enum": list(options)})
        elif options is None and not getattr(self, "duration", False):  # Range of numbers
            bounds = {"minimum": getattr(self, "low", None), "maximum": getattr(self, "high", None)}
            _annotate(found, "number", {k: v for k, v in bounds.items() if v is not None})
        return found
