"""What a coefficient is: a value with its unit and a status that says where it comes from.

Every coefficient of the model carries one of three statuses:

- ``source``: the value as a publication gives it; its tags (``S47`` …) resolve in
  ``docs/references.md``.
- ``CALIBRATED``: fitted to a named published target (the arithmetic is in
  :mod:`isletflow.model.calibration`, called with the published numbers in the table).
- ``UNCONFIRMED``: no readable source gives it. A parameter a site should set, never a rule.

A site or a sensitivity analysis changes values, never statuses: :func:`rows` reports a value
that differs from its default as a site setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

__all__ = [
    "POSITIVE",
    "PROBABILITY",
    "CoefficientRow",
    "Section",
    "Status",
    "calibrated",
    "markdown_table",
    "rows",
    "sourced",
    "unconfirmed",
]


PROBABILITY: dict[str, Any] = {"gt": 0.0, "lt": 1.0}
"""The bounds of a probability coefficient (strictly between 0 and 1: its logit is finite)."""
POSITIVE: dict[str, Any] = {"gt": 0.0}
"""The bound of an odds ratio, a scale or a duration."""


class Section(BaseModel):
    """A section of the coefficient table: frozen, no unknown names, finite values."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A coefficient's unit, status and tags said in its description, not as keywords of
        their own: a strict JSON Schema consumer (Ajv) refuses keywords it does not know."""
        schema = handler(core_schema)
        for field in handler.resolve_ref_schema(schema).get("properties", {}).values():
            unit, status, tags = (field.pop(key, "") for key in ("unit", "status", "tags"))
            field.pop("basis", None)
            said = "; ".join(str(part) for part in (unit, status, tags) if part)
            field["description"] = f"{field.get('description', '')} ({said})"
        return schema


class Status(StrEnum):
    """Where a coefficient's value comes from."""

    SOURCE = "source"
    CALIBRATED = "CALIBRATED"
    UNCONFIRMED = "UNCONFIRMED"


def _coefficient(
    value: float, unit: str, status: Status, tags: str, basis: str, rules: dict[str, Any]
) -> Any:
    extra: JsonDict = {"unit": unit, "status": status.value, "tags": tags, "basis": basis}
    return Field(value, description=basis, json_schema_extra=extra, **rules)


def sourced(value: float, unit: str, tags: str, says: str, **rules: Any) -> Any:
    """A coefficient as a publication gives it: ``says`` quotes what it reports."""
    return _coefficient(value, unit, Status.SOURCE, tags, says, rules)


def calibrated(value: float, unit: str, tags: str, target: str, **rules: Any) -> Any:
    """A coefficient fitted to ``target``, a published figure that ``tags`` names."""
    return _coefficient(value, unit, Status.CALIBRATED, tags, target, rules)


def unconfirmed(value: float, unit: str, why: str, tags: str = "", **rules: Any) -> Any:
    """A parameter no readable source gives; ``why`` says what is known (sources in ``tags``)."""
    return _coefficient(value, unit, Status.UNCONFIRMED, tags, why, rules)


@dataclass(frozen=True, slots=True)
class CoefficientRow:
    """One coefficient as the docs table shows it."""

    name: str
    value: float
    default: float
    unit: str
    status: str
    tags: str
    basis: str

    @property
    def site_set(self) -> bool:
        """Whether a site or an analysis changed the value from its default."""
        return self.value != self.default


def rows(parameters: BaseModel) -> list[CoefficientRow]:
    """Every coefficient of a table of sections (each a model of coefficients), in order."""
    found = []
    for section in type(parameters).model_fields:
        part = getattr(parameters, section)
        for name, field in type(part).model_fields.items():
            extra = field.json_schema_extra
            assert isinstance(extra, dict), f"{section}.{name} has no status"
            found.append(
                CoefficientRow(
                    f"{section}.{name}",
                    getattr(part, name),
                    field.default,
                    str(extra["unit"]),
                    str(extra["status"]),
                    str(extra["tags"]),
                    str(extra["basis"]),
                )
            )
    return found


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def markdown_table(parameters: BaseModel) -> str:
    """The coefficients as one markdown table: name, value, unit, status, source and basis."""
    lines = [
        "| coefficient | value | unit | status | tags | basis |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows(parameters):
        status = (
            f"site (default {_number(row.default)}, {row.status})" if row.site_set else row.status
        )
        lines.append(
            f"| `{row.name}` | {_number(row.value)} | {row.unit} | {status} | {row.tags} "
            f"| {row.basis} |"
        )
    return "\n".join(lines) + "\n"
