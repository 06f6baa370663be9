"""What a probabilistic sensitivity analysis draws: a scenario's ``uncertain:`` section.

Each entry names a model coefficient (``model.bleeding.aspirin_or``, a coefficient of
``ModelParameters``) or a protocol number or duration (``protocol.max_cold_ischemia``) and
gives it a distribution of ``isletflow.distributions`` (``{uniform: [1.5, 4]}``,
``{triangular: [10h, 12h, 14h]}`` …), checked against that field's own range. Coefficients a
case's guards read (``GUARDED``), or that a scenario section sets (``SET_BY_SCENARIO``), cannot
be uncertain, as a scenario's ``model:`` section cannot override them (``why_fixed``).

``samplers(section)`` draws each parameter's value from one uniform (``isletflow.psa`` gives
it the parameter's own stream, and puts the values in the scenario's ``model:`` or
``protocol:`` sections). The
section is kept as JSON-ready data (durations written ``10h``), as a scenario file gives it, so
a scenario travels to workers and back unchanged. Simulating a scenario (``simulate``,
``cohort``) ignores the section: it uses the scenario's own values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from .distributions import NumberValue, Range, TimeValue
from .draws import Sampler, sampler
from .errors import did_you_mean
from .model.parameters import DEFAULT, ModelParameters
from .protocol import Protocol

__all__ = ["GUARDED", "SET_BY_SCENARIO", "samplers", "uncertain_section", "why_fixed"]

_DECIMALS = 6  # a drawn coefficient is kept to a millionth: many are small probabilities

GUARDED = frozenset(
    {
        *(f"regimen.{name}" for name in type(DEFAULT.regimen).model_fields),
        "bleeding.heparin_threshold_units_per_kg",
        "thrombosis.first_doppler_day",
    }
)
"""Coefficients a case's own guards and steps read from the default table (trough targets, the
heparin warning, the day of the Doppler), so that a timeline replays without its scenario: a
scenario's ``model:`` section may not change them, nor its ``uncertain:`` section draw them."""

SET_BY_SCENARIO = {"pressure.rise_mmhg_per_ml": "portal_pressure.rise_mmhg_per_ml"}
"""Coefficients whose value every case takes from a scenario section instead (that section's
field, which may itself be a distribution): a scenario changes that field, not the table."""


def why_fixed(coefficient: str) -> str | None:
    """Why a scenario cannot change ``coefficient`` (``section.name``), or None if it can."""
    if coefficient in GUARDED:
        return "a case's guards read it from the default table"
    if coefficient in SET_BY_SCENARIO:
        return f"each case takes it from the scenario's {SET_BY_SCENARIO[coefficient]}"
    return None


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None]:
    low = high = None
    for item in metadata:  # a strict bound (gt 0) is kept inclusive: a draw at it is refused
        if isinstance(item, Gt | Ge):
            low = float(getattr(item, "gt" if isinstance(item, Gt) else "ge"))
        elif isinstance(item, Lt | Le):
            high = float(getattr(item, "lt" if isinstance(item, Lt) else "le"))
    return low, high


@functools.cache
def parameter_spans() -> dict[str, Range]:
    """Every path an ``uncertain:`` entry may name, with the range its values must keep."""
    found: dict[str, Range] = {}
    for section in ModelParameters.model_fields:
        for name, info in type(getattr(DEFAULT, section)).model_fields.items():
            if why_fixed(f"{section}.{name}") is None:
                low, high = _bounds(info.metadata)
                found[f"model.{section}.{name}"] = Range(low, high, decimals=_DECIMALS)
    for name, info in Protocol.model_fields.items():
        if info.annotation is float:
            low, high = _bounds(info.metadata)
            found[f"protocol.{name}"] = Range(low, high)
        elif info.annotation is timedelta:
            found[f"protocol.{name}"] = Range.at_least(timedelta(0))
    return found


@functools.cache
def _adapter(path: str) -> TypeAdapter[Any]:
    span = parameter_spans()[path]
    if span.duration:
        return TypeAdapter(Annotated[TimeValue, span])
    return TypeAdapter(Annotated[NumberValue, span])


def _problem(path: str, value: Any) -> tuple[str | None, Any]:
    """Why ``value`` cannot be the distribution of ``path`` (None: it can), and its form."""
    spans = parameter_spans()
    if path not in spans:
        why = why_fixed(path.removeprefix("model."))
        if why is not None:
            return f"cannot vary: {why}", None
        return f"is not a parameter that can vary{did_you_mean(path, spans)}", None
    adapter = _adapter(path)
    try:
        checked = adapter.validate_python(value)
    except ValidationError as error:
        said = (str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        rules = "; ".join(s.replace("Input should be ", "must be ") for s in said)
        return rules, None
    if not hasattr(checked, "dist"):
        return "is one value; an uncertain parameter needs a distribution", None
    return None, adapter.dump_python(checked, mode="json")


def uncertain_section(raw: Any) -> dict[str, Any]:
    """The section checked, as JSON-ready data; every problem named in one error."""
    if not isinstance(raw, Mapping):
        raise PydanticCustomError("dict_type", "must map parameter paths to distributions")
    problems, section = [], {}
    for path, value in raw.items():
        why, form = _problem(str(path), value)
        if why is None:
            section[str(path)] = form
        else:
            problems.append(f"{path} {why}")
    if problems:
        raise PydanticCustomError("uncertain_parameter", "; ".join(problems))
    return section


def samplers(section: Mapping[str, Any]) -> dict[str, Sampler]:
    """For each uncertain parameter, by path, a function drawing its value from one uniform of
    a generator (``draws.sampler``), kept inside the field's range."""
    spans = parameter_spans()
    return {
        path: sampler(_adapter(path).validate_python(form), spans[path])
        for path, form in section.items()
    }
