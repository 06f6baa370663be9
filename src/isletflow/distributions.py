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

Each field declares its kind (``Number``, ``Time``, ``Flag``, ``Text``) and valid range; loading
checks every parameter against it. ``isletflow.sampling.sampler`` turns a value into a function
that draws it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Discriminator, GetJsonSchemaHandler, Tag, WrapValidator

from .duration import Duration, format_duration

__all__ = [
    "DIST_NAMES",
    "Bernoulli",
    "Choice",
    "Flag",
    "LogNormal",
    "Normal",
    "Number",
    "Range",
    "Text",
    "Time",
    "Triangular",
    "Uniform",
    "magnitude",
]

T = TypeVar("T")


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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
DIST_NAMES = ("fixed", "uniform", "triangular", "normal", "lognormal", "bernoulli", "choice")
_POSITIONAL = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "p95"),
}


def _long_form(value: Any) -> Any:
    """``{uniform: [a, b]}`` → ``{dist: uniform, low: a, high: b}``; plain values unchanged."""
    if not isinstance(value, dict) or "dist" in value or len(value) != 1:
        if (
            isinstance(value, dict)
            and value.get("dist") == "fixed"
            and set(value)
            == {
                "dist",
                "value",
            }
        ):
            return value["value"]
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
        return {"dist": "choice", "options": list(args), "weights": list(args.values())}
    if name == "choice":
        return {"dist": "choice", "options": args}
    if name == "fixed":
        return args
    return value


def _tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("dist", "(no dist)"))
    if isinstance(value, _Dist):
        return str(getattr(value, "dist", "fixed"))
    return "fixed"


# -- Ranges ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
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
        if not magnitude(value.sd) > 0:
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
    out = []
    for name, raw in named:
        why = span.outside(magnitude(raw))
        if why:
            out.append(f"{name} {span.show(magnitude(raw))} {why}")
    return out


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
        elif any(not w >= 0 for w in weights):
            out.append("every weight must be 0 or more")
        elif sum(weights) <= 0:
            out.append("the weights must not all be 0")
    return out


def _checked(span: Range) -> WrapValidator:
    def check(raw: Any, handler: Callable[[Any], Any]) -> Any:
        value = handler(_long_form(raw))
        problems = _problems(value, span)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    return WrapValidator(check)


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
        full = handler(core)
        short = []
        for name in self.names:
            size = len(_POSITIONAL.get(name, ()))
            args: dict[str, Any] = (
                {"type": "array", "minItems": size, "maxItems": size}
                if size
                else {"type": "number", "minimum": 0, "maximum": 1}
                if name == "bernoulli"
                else {"type": ["array", "object"]}
            )
            if size:
                args = {"anyOf": [args, {"type": "object"}]}
            short.append(
                {
                    "type": "object",
                    "title": f"{name} (short form)",
                    "properties": {name: args},
                    "required": [name],
                    "additionalProperties": False,
                }
            )
        return {"anyOf": [full, *short]}


def _field(kind: Any, span: Range, *names: str) -> Any:
    return Annotated[kind, _which(*names), _checked(span), span, _Shorthands(*names)]


def Number(
    low: float | None = None, high: float | None = None, *, decimals: int = 3, unit: str = ""
) -> Any:
    """A number field kind: fixed, uniform, triangular, normal, lognormal or choice."""
    span = Range(low, high, decimals, unit)
    kind = (
        Annotated[float, Tag("fixed")]
        | Annotated[Uniform[float], Tag("uniform")]
        | Annotated[Triangular[float], Tag("triangular")]
        | Annotated[Normal[float], Tag("normal")]
        | Annotated[LogNormal[float], Tag("lognormal")]
        | Annotated[Choice[float], Tag("choice")]
    )
    return _field(kind, span, *_NUMERIC)


def Time(low: timedelta = timedelta(0)) -> Any:
    """A duration field kind (``90min``, ``6h``, ``2d``), fixed or a distribution."""
    span = Range(low.total_seconds(), None, 0, duration=True)
    kind = (
        Annotated[Duration, Tag("fixed")]
        | Annotated[Uniform[Duration], Tag("uniform")]
        | Annotated[Triangular[Duration], Tag("triangular")]
        | Annotated[Normal[Duration], Tag("normal")]
        | Annotated[LogNormal[Duration], Tag("lognormal")]
        | Annotated[Choice[Duration], Tag("choice")]
    )
    return _field(kind, span, *_NUMERIC)


def Flag() -> Any:
    """A yes/no field kind: ``true``/``false`` or ``{bernoulli: p}``."""
    kind = Annotated[bool, Tag("fixed")] | Annotated[Bernoulli, Tag("bernoulli")]
    return _field(kind, Range(), "bernoulli")


def Text(options: Sequence[str] | None) -> Any:
    """A text field kind (one of ``options`` if given), fixed or ``{choice: {...}}``."""
    allowed = tuple(options or ())

    def known(raw: Any, handler: Callable[[Any], Any]) -> Any:
        value = handler(_long_form(raw))
        problems = _problems(value, Range())
        given = value.options if isinstance(value, Choice) else [value]
        unknown = [str(v) for v in given if allowed and v not in allowed]
        if unknown:
            problems.append(f"{', '.join(map(repr, unknown))}: must be one of {', '.join(allowed)}")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    kind = Annotated[str, Tag("fixed")] | Annotated[Choice[str], Tag("choice")]
    return Annotated[kind, _which("choice"), WrapValidator(known), _Shorthands("choice")]
