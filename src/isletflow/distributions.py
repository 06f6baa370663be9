"""Scenario values: each one fixed or a distribution, validated once, sampled many times.

A value in a scenario file is either written plainly (``6h``, ``0.8``, ``true``, ``UW``) or as a
distribution, in a long form or a short one::

    {dist: uniform, low: 2h, high: 6h}          {uniform: [2h, 6h]}
    {dist: triangular, low: 4, mode: 6, high: 9} {triangular: [4, 6, 9]}
    {dist: normal, mean: 13, sd: 1.5}            {normal: [13, 1.5]}     truncated to the range
    {dist: lognormal, median: 6h, p95: 10h}      {lognormal: [6h, 10h]}  truncated to the range
    {dist: bernoulli, p: 0.1}                    {bernoulli: 0.1}        yes/no values
    {dist: choice, options: [UW, HTK], weights: [3, 1]}
                                                 {choice: {UW: 3, HTK: 1}}  or {choice: [UW, HTK]}
    {dist: fixed, value: 6h}                     6h

Each field declares its kind (``NumberValue``, ``TimeValue``, ``FlagValue``, ``TextValue``) and
its rule (``Range``, ``OneOf``), as in ``Annotated[NumberValue, Range(0, 120, decimals=0)]``;
loading checks every parameter against the rule, strictly: a number is never text (``"70"``) or a
flag, and never NaN or infinite. ``isletflow.sampling.sampler`` turns a value into a function
that draws it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Generic, Literal, TypeAlias, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Tag,
)
from pydantic_core import core_schema

from .duration import Duration, format_duration
from .errors import did_you_mean, shown
from .models import Number, YesNo
from .schema_rules import PublishedRule

__all__ = [
    "Bernoulli",
    "Choice",
    "Flag",
    "LogNormal",
    "Normal",
    "NumberValue",
    "OneOf",
    "Range",
    "TextValue",
    "Time",
    "TimeValue",
    "Triangular",
    "Uniform",
    "magnitude",
]

T = TypeVar("T")


class _Dist(BaseModel):
    # Strict: a parameter written "70" or true is refused, not read as 70 or 1; none is NaN.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class Uniform(_Dist, Generic[T]):
    """Every value between ``low`` and ``high`` equally likely."""

    dist: Literal["uniform"] = "uniform"
    low: T
    high: T


class Triangular(_Dist, Generic[T]):
    """Rising from ``low`` to ``mode``, falling to ``high``."""

    dist: Literal["triangular"] = "triangular"
    low: T
    mode: T
    high: T


class Normal(_Dist, Generic[T]):
    """Normal, truncated to the field's valid range (the mean must lie inside it)."""

    dist: Literal["normal"] = "normal"
    mean: T
    sd: T


class LogNormal(_Dist, Generic[T]):
    """Log-normal given by its median and 95th percentile, truncated to the valid range."""

    dist: Literal["lognormal"] = "lognormal"
    median: T
    p95: T


class Choice(_Dist, Generic[T]):
    """One of ``options``, with ``weights`` (equal when not given)."""

    dist: Literal["choice"] = "choice"
    options: list[T]
    weights: list[float] | None = None


class Bernoulli(_Dist):
    """Yes with probability ``p``."""

    dist: Literal["bernoulli"] = "bernoulli"
    p: float


_NUMERIC = ("uniform", "triangular", "normal", "lognormal", "choice")
_POSITIONAL = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "p95"),
}


_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", re.ASCII)


def _long_form(value: Any, numeric: bool = False) -> Any:
    """``{uniform: [a, b]}`` → ``{dist: uniform, ...}``; ``numeric``: ``{choice: {"40": 1}}``
    has number options (a JSON key is always text). Plain values come back unchanged."""
    if isinstance(value, dict) and value.get("dist") == "fixed" and set(value) == {"dist", "value"}:
        return value["value"]
    if not isinstance(value, dict) or "dist" in value or len(value) != 1:
        return value
    ((name, args),) = value.items()
    if name in _POSITIONAL and isinstance(args, list | tuple):
        names = _POSITIONAL[name]
        if len(args) != len(names):
            raise ValueError(f"{name} takes [{', '.join(names)}]; got {len(args)} value(s)")
        return {"dist": name, **dict(zip(names, args, strict=True))}
    if name in _POSITIONAL and isinstance(args, dict):
        return {"dist": name, **args}
    if name == "bernoulli":
        return {"dist": "bernoulli", "p": args}
    if name == "choice" and isinstance(args, dict):
        keys = [float(k) if numeric and _DECIMAL.fullmatch(str(k)) else k for k in args]
        return {"dist": "choice", "options": keys, "weights": list(args.values())}
    if name == "choice":
        return {"dist": "choice", "options": args}
    if name == "fixed":
        return args
    return value


def _tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("dist", "(no dist)"))
    return str(getattr(value, "dist", "fixed"))  # a _Dist says its name; a plain value is fixed


# -- Ranges ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range(PublishedRule):
    """Where a field's values may lie, and how finely they are kept."""

    low: float | None = None
    high: float | None = None
    decimals: int = 3
    unit: str = ""
    duration: bool = False

    def show(self, x: float) -> str:
        if self.duration:
            return repr(format_duration(timedelta(seconds=x)))
        return f"{x:g}{(' ' + self.unit) if self.unit else ''}"

    def outside(self, x: float) -> str | None:
        """Why ``x`` is out of range, or None."""
        if not math.isfinite(x):
            return "is not a finite number"
        if self.duration and self.low == 0 and x < 0:
            return "is negative"
        if self.low is not None and x < self.low:
            return f"is below the smallest allowed value, {self.show(self.low)}"
        if self.high is not None and x > self.high:
            return f"is above the largest allowed value, {self.show(self.high)}"
        return None

    def describe(self) -> str:
        low = self.show(self.low) if self.low is not None else "-inf"
        high = self.show(self.high) if self.high is not None else "inf"
        return f"[{low}, {high}]"

    @classmethod
    def at_least(cls, shortest: timedelta) -> Range:
        """The range of a duration field: ``shortest`` or longer, kept to the second."""
        return cls(shortest.total_seconds(), None, 0, duration=True)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Read the short forms, let pydantic validate the long one, then check every
        # parameter against this range, listing each problem.
        return core_schema.no_info_wrap_validator_function(self._validate, handler(source))

    def _validate(self, raw: Any, handler: Callable[[Any], Any]) -> Any:
        value = handler(_long_form(raw, numeric=not self.duration))
        problems = _problems(value, self)
        if problems:
            raise ValueError("; ".join(problems))
        return value


class OneOf(PublishedRule):
    """The rule of a text field: one of ``options`` (any text when there are none)."""

    __slots__ = ("options",)

    def __init__(self, *options: str) -> None:
        self.options = options

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(self._validate, handler(source))

    def _validate(self, raw: Any, handler: Callable[[Any], Any]) -> Any:
        value = handler(_long_form(raw))
        problems = _problems(value, Range())
        given = value.options if isinstance(value, Choice) else [value]
        unknown = [v for v in given if self.options and v not in self.options]
        if unknown:
            hint = did_you_mean(unknown[0], self.options)
            rule = f"must be one of {', '.join(self.options)}{hint}"
            named = ", ".join(map(shown, unknown[:3])) + (", ..." if len(unknown) > 3 else "")
            problems.append(f"option {named} {rule}" if isinstance(value, Choice) else rule)
        if problems:
            raise ValueError("; ".join(problems))
        return value


def magnitude(value: Any) -> float:
    """A number, or a duration in seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _problems(value: Any, span: Range) -> list[str]:
    """Every way a validated value breaks its field's range."""
    if isinstance(value, Uniform):
        return _order(span, ("low", value.low), ("high", value.high))
    if isinstance(value, Triangular):
        return _order(span, ("low", value.low), ("mode", value.mode), ("high", value.high))
    if isinstance(value, Normal):
        out = _each(span, ("mean", value.mean))
        if not 0 < magnitude(value.sd) < math.inf:
            out.append("sd must be above 0")
        return out
    if isinstance(value, LogNormal):
        median, p95 = magnitude(value.median), magnitude(value.p95)
        out = _each(span, ("median", value.median))
        if not median > 0:
            out.append("median must be above 0 (a log-normal value is positive)")
        if not p95 > median:
            out.append("p95 must be above the median")
        if span.low is not None and span.low < 0:
            out.append(f"a log-normal value is positive; this field's range is {span.describe()}")
        return out
    if isinstance(value, Choice):
        return _choice_problems(value, span)
    if isinstance(value, Bernoulli):
        return [] if 0 <= value.p <= 1 else ["p must be between 0 and 1"]
    if isinstance(value, bool | str):
        return []
    why = span.outside(magnitude(value))
    return [why] if why else []


def _each(span: Range, *named: tuple[str, Any]) -> list[str]:
    values = [(name, magnitude(raw)) for name, raw in named]
    return [f"{name} {span.show(x)} {why}" for name, x in values if (why := span.outside(x))]


def _order(span: Range, *named: tuple[str, Any]) -> list[str]:
    out = _each(span, *named)
    for (a, x), (b, y) in itertools.pairwise(named):
        if magnitude(x) > magnitude(y):
            out.append(f"{a} must not be above {b}")
    return out


def _choice_problems(value: Choice[Any], span: Range) -> list[str]:
    options, weights = value.options, value.weights
    if not options:
        return ["choice needs at least one option"]
    out = [p for option in options for p in _problems(option, span)]
    if weights is not None:
        if len(weights) != len(options):
            out.append(f"choice has {len(options)} options but {len(weights)} weights")
        elif any(not 0 <= w < math.inf for w in weights):
            out.append("every weight must be 0 or more")
        elif not 0 < sum(weights) < math.inf:
            out.append("the weights must not all be 0, nor add up past the largest number")
    return out


def _which(*names: str) -> Discriminator:
    return Discriminator(
        _tag,
        custom_error_type="unknown_distribution",
        custom_error_message="is not a value this field takes: write a plain value or one of "
        + ", ".join(f"{{{n}: ...}}" for n in names if n != "fixed"),
    )


class _Shorthands:
    """Adds the short forms (``{uniform: [a, b]}`` …) to a field's JSON Schema."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def __get_pydantic_json_schema__(self, core: Any, handler: GetJsonSchemaHandler) -> Any:
        return {"anyOf": [handler(core), *map(_short_form, self.names)]}


def _short_form(name: str) -> dict[str, Any]:
    size = len(_POSITIONAL.get(name, ()))
    args: dict[str, Any] = {"type": ["array", "object"]}
    if size:
        args = {
            "anyOf": [{"type": "array", "minItems": size, "maxItems": size}, {"type": "object"}]
        }
    elif name == "bernoulli":
        args = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "type": "object",
        "title": f"{name} (short form)",
        "properties": {name: args},
        "required": [name],
        "additionalProperties": False,
    }


# -- Field kinds ----------------------------------------------------------------------------
# Each kind is a static type (a plain value or a distribution of one: what mypy sees) annotated
# with how pydantic tells the forms apart and the JSON Schema shows the short forms. A field adds
# its rule (``Range`` for numbers and durations, ``OneOf`` for text), which reads short forms.

NumberValue: TypeAlias = Annotated[
    Annotated[Number, Tag("fixed")]
    | Annotated[Uniform[float], Tag("uniform")]
    | Annotated[Triangular[float], Tag("triangular")]
    | Annotated[Normal[float], Tag("normal")]
    | Annotated[LogNormal[float], Tag("lognormal")]
    | Annotated[Choice[float], Tag("choice")],
    _which(*_NUMERIC),
    _Shorthands(*_NUMERIC),
]
"""A number, fixed or a distribution; a field gives its ``Range``."""

TimeValue: TypeAlias = Annotated[
    Annotated[Duration, Tag("fixed")]
    | Annotated[Uniform[Duration], Tag("uniform")]
    | Annotated[Triangular[Duration], Tag("triangular")]
    | Annotated[Normal[Duration], Tag("normal")]
    | Annotated[LogNormal[Duration], Tag("lognormal")]
    | Annotated[Choice[Duration], Tag("choice")],
    _which(*_NUMERIC),
    _Shorthands(*_NUMERIC),
]
"""A duration (``90min``, ``6h``, ``2d``), fixed or a distribution; a field gives its ``Range``."""

FlagValue: TypeAlias = Annotated[
    Annotated[YesNo, Tag("fixed")] | Annotated[Bernoulli, Tag("bernoulli")],
    _which("bernoulli"),
    _Shorthands("bernoulli"),
]
"""Yes or no: ``true``/``false`` or ``{bernoulli: p}``."""

TextValue: TypeAlias = Annotated[
    Annotated[str, Tag("fixed")] | Annotated[Choice[str], Tag("choice")],
    _which("choice"),
    _Shorthands("choice"),
]
"""A text value, fixed or ``{choice: {...}}``; a field gives its ``OneOf``."""

Time: TypeAlias = Annotated[TimeValue, Range.at_least(timedelta(0))]
"""A duration field that is never negative."""

Flag: TypeAlias = Annotated[FlagValue, Range()]
"""A yes/no field."""
