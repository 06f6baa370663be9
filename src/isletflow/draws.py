"""One value of a scenario field, drawn: fixed values as they are, distributions by inverse CDF.

``sampler`` turns a field's value (fixed, or a distribution of ``isletflow.distributions``) into
a function of a numpy ``Generator`` that draws exactly one uniform double per sample, kept
inside the field's valid range; ``isletflow.sampling`` builds a case's samplers from these.
``values`` gives what that function draws for each of a whole array of uniforms, bit for bit.

Each distribution's inverse CDF and the rounding rule is one function, of a uniform that is a
float (``sampler``) or an array (``values``): the same operations in the same order, through
``isletflow.elementwise`` (a branch per float, per element of an array; the normal quantile
ported from CPython; Python's ``round`` for arrays), so bit for bit. A drawn choice's option
positions (``option_codes``) are what ``values`` indexes its options with.

One definition costs the per-case sampler a little: the port runs as bytecode where
``inv_cdf`` ran in C. ``benchmarks/draws.py`` (two runs, loaded machine): a normal draw 1.5-1.6×
(2.4-3.9 µs more); population.yaml's 14 a case, 2-4 % of sampling a case and under 0.5 % of a
recipient simulated, too little for whole cases timed both ways to tell apart (0.89-1.05×). A
second inverse CDF held equal by a test would cost more in care than that in time.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from statistics import NormalDist
from typing import Any

import numpy as np

from .distributions import (
    Bernoulli,
    Choice,
    LogNormal,
    Normal,
    Range,
    Triangular,
    Uniform,
    magnitude,
)
from .elementwise import clamp, exp, normal_quantile, piecewise, rounded, sqrt
from .errors import InvalidInput

__all__ = [
    "Sampler",
    "option_codes",
    "option_table",
    "sampler",
    "values",
]

Values = Any
"""A float, or a numpy array of floats: every rule below takes either and gives the same kind."""

Quantile = Callable[[Values], Values]
"""A distribution's inverse CDF: from a uniform ``u`` in [0, 1) (or an array of them) to draws."""

Sampler = Callable[[Any], Any]
"""Draws one value from a numpy ``Generator``; fixed values ignore it (and may be given None).

Every sampler draws exactly one uniform double per sample (inverse CDF), so the draws a case
consumes never depend on the values drawn."""

_LONGEST = timedelta.max // timedelta(seconds=1)  # seconds: a longer draw would overflow
_INT64 = 2**63  # the first number no int64 holds
_US = 10**6  # microseconds in a second


# -- The inverse CDF of each kind ------------------------------------------------------------


def _uniform(a: float, b: float) -> Quantile:
    return lambda u: a + (b - a) * u


def _triangular(a: float, c: float, b: float) -> Quantile:
    """Rising from ``a`` to the mode ``c`` below the mode's share of ``u``, falling to ``b``."""
    if b == a:
        return lambda u: np.full(u.shape, a) if isinstance(u, np.ndarray) else a
    split = (c - a) / (b - a)

    def rising(u: Values) -> Values:
        return a + sqrt(u * (b - a) * (c - a))

    def falling(u: Values) -> Values:
        return b - sqrt((1 - u) * (b - a) * (b - c))

    return lambda u: piecewise(u, lambda v: v < split, rising, falling)


def _truncated(mu: float, sigma: float, lo: float, hi: float, *, log_scale: bool) -> Quantile:
    """A normal (``log_scale``: a log-normal, ``lo`` and ``hi`` then on the log scale) truncated to
    [lo, hi]: ``u`` spread over the CDF between them, kept off 0 and 1 and clipped."""
    dist = NormalDist(mu, sigma)
    c_lo = dist.cdf(lo) if lo > -math.inf else 0.0
    c_hi = dist.cdf(hi) if hi < math.inf else 1.0
    width = c_hi - c_lo
    low_clip, high_clip = (math.exp(lo) if log_scale else lo), (math.exp(hi) if log_scale else hi)

    def quantile(u: Values) -> Values:
        x = normal_quantile(clamp(c_lo + width * u, 1e-12, 1 - 1e-12), mu, sigma)
        return clamp(exp(x) if log_scale else x, low_clip, high_clip)

    return quantile


def _flag(p: float) -> Quantile:
    return lambda u: u < p


def _option_index(value: Choice[Any]) -> Quantile:
    """The index of the first option whose cumulative share lies above ``u`` (the last when
    rounding leaves ``u`` above them all)."""
    weights = value.weights if value.weights is not None else [1.0] * len(value.options)
    total = sum(weights)
    cumulative, running = [], 0.0
    for w in weights:
        running += w / total
        cumulative.append(running)
    edges, last = np.array(cumulative), len(cumulative) - 1

    def index(u: Values) -> Values:
        if isinstance(u, np.ndarray):
            return np.minimum(np.searchsorted(edges, u, side="right"), last)
        return min(bisect_right(cumulative, u), last)

    return index


_Z95 = normal_quantile(0.95, 0.0, 1.0)


# -- A field: its inverse CDF and how a draw is kept ---------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    """How one field's value comes from a uniform. ``kept``: "fixed" (``fixed``, no draw),
    "flag", "option" (an index into ``options``), "time" (whole seconds), "integer" or
    "number" (to ``digits`` decimals)."""

    quantile: Quantile | None
    kept: str
    fixed: Any = None
    digits: int = 0
    options: tuple[Any, ...] = ()


def _field(value: Any, span: Range, integer: bool) -> _Field:
    lo = -math.inf if span.low is None else span.low
    hi = math.inf if span.high is None else span.high
    as_time = isinstance(_first_param(value), timedelta)
    kept = "time" if as_time else "integer" if integer else "number"
    if isinstance(value, Uniform):
        quantile = _uniform(magnitude(value.low), magnitude(value.high))
    elif isinstance(value, Triangular):
        quantile = _triangular(magnitude(value.low), magnitude(value.mode), magnitude(value.high))
    elif isinstance(value, Normal):
        quantile = _truncated(magnitude(value.mean), magnitude(value.sd), lo, hi, log_scale=False)
    elif isinstance(value, LogNormal):
        mu = math.log(magnitude(value.median))
        sigma = (math.log(magnitude(value.p95)) - mu) / _Z95
        lo_log = math.log(lo) if lo > 0 else -math.inf
        hi_log = math.log(hi) if hi < math.inf else math.inf
        quantile = _truncated(mu, sigma, lo_log, hi_log, log_scale=True)
    elif isinstance(value, Bernoulli):
        return _Field(_flag(value.p), "flag")
    elif isinstance(value, Choice):
        return _Field(_option_index(value), "option", options=tuple(value.options))
    else:
        return _Field(None, "fixed", fixed=round(value) if integer else value)
    return _Field(quantile, kept, digits=span.decimals)


def _first_param(value: Any) -> Any:
    for name in ("low", "mean", "median"):
        if hasattr(value, name):
            return getattr(value, name)
    return value


# -- One value for a case, or a whole array of them -------------------------------------------


def sampler(value: Any, span: Range | None = None, *, integer: bool = False) -> Sampler:
    """A function that draws one value from ``value`` (fixed values draw nothing)."""
    field = _field(value, span or Range(), integer)
    quantile, kept = field.quantile, field.kept
    if quantile is None:
        fixed = field.fixed
        return lambda rng: fixed
    if kept == "flag":
        return lambda rng: quantile(rng.random())
    if kept == "option":
        options = field.options
        return lambda rng: options[quantile(rng.random())]
    if kept == "time":  # a log-normal tail can pass timedelta's largest value: cap it there
        return lambda rng: timedelta(
            seconds=rounded(clamp(quantile(rng.random()), -math.inf, _LONGEST))
        )
    if kept == "integer":
        return lambda rng: rounded(quantile(rng.random()))
    digits = field.digits
    return lambda rng: rounded(quantile(rng.random()), digits)


def values(value: Any, u: Any, span: Range | None = None, *, integer: bool = False) -> Any:
    """What ``sampler(value, span, integer=integer)`` draws for each uniform of ``u``: element
    i is the value a generator whose next double is ``u[i]`` gives, bit for bit. Numbers are
    float64 (int64 when ``integer``), times timedelta64[us], flags bool, choices of those kinds
    the same, other choices and fixed texts (or None) object arrays.

    Raises ``InvalidInput`` for a duration longer than timedelta64[us] holds (about 292,000
    years), which only a far log-normal tail reaches: ``sampler`` gives it, capped at
    timedelta's largest; an array cannot hold it."""
    field = _field(value, span or Range(), integer)
    u = np.asarray(u, dtype=np.float64).ravel()
    if field.quantile is None:
        return np.repeat(_array([field.fixed]), u.size)
    x = field.quantile(u)
    if field.kept == "flag":
        return x
    if field.kept == "option":
        return option_table(value)[x]
    if field.kept == "time":
        return _durations(rounded(clamp(x, -math.inf, _LONGEST)))
    if field.kept == "integer":  # integer fields are bounded well inside int64
        return rounded(x).astype(np.int64)
    return rounded(x, field.digits)


def option_codes(value: Choice[Any], u: Any) -> np.ndarray:
    """The option each uniform of ``u`` chooses, as its position in ``value.options``:
    ``values(value, u)`` is ``option_table(value)[option_codes(value, u)]``."""
    codes: np.ndarray = _option_index(value)(np.asarray(u, dtype=np.float64).ravel())
    return codes


def option_table(value: Choice[Any]) -> np.ndarray:
    """A choice's options as one array of their kind (``values`` indexes it by code)."""
    return _array(tuple(value.options))


def _array(items: list[Any] | tuple[Any, ...]) -> np.ndarray:
    """``items`` as one array of their kind: timedelta64[us], bool, int64, float64 or object."""
    if all(isinstance(item, timedelta) for item in items):
        micro = [item // timedelta(microseconds=1) for item in items]
        if max(map(abs, micro)) >= _INT64:
            raise _too_long(max(map(abs, micro)) / _US)
        return np.array(micro, dtype=np.int64).astype("timedelta64[us]")
    if all(isinstance(item, bool) for item in items):
        return np.array(items, dtype=bool)
    if all(isinstance(item, int) and not isinstance(item, bool) for item in items):
        return np.array(items, dtype=np.int64)
    if all(isinstance(item, float) for item in items):
        return np.array(items, dtype=np.float64)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _durations(seconds: np.ndarray) -> np.ndarray:
    """Whole seconds (as floats) as timedelta64[us]."""
    too_long = seconds[~(np.abs(seconds) < _INT64 / _US)]
    if too_long.size:
        raise _too_long(float(too_long[0]))
    return (seconds.astype(np.int64) * _US).astype("timedelta64[us]")


def _too_long(seconds: float) -> InvalidInput:
    rule = "is longer than an array of durations holds (timedelta64[us]: about 292,000 years)"
    return InvalidInput.single("a drawn value", "duration", f"{seconds:.0f} s", rule)
