"""One value of a scenario field, drawn: fixed values as they are, distributions by inverse CDF.

``sampler`` turns a field's value (fixed, or a distribution of ``isletflow.distributions``) into
a function of a numpy ``Generator`` that draws exactly one uniform double per sample, kept
inside the field's valid range; ``isletflow.sampling`` builds a case's samplers from these.
``values`` gives what that function draws for each of a whole array of uniforms, bit for bit.

Each distribution's inverse CDF and the rounding rule is one function, of a uniform that is a
float (``sampler``) or an array (``values``): the same operations in the same order; where a
rule branches, a float takes its branch and an array's elements each take theirs (masks). It
is bit for bit because ``normal_quantile`` ports CPython's ``NormalDist.inv_cdf`` (AS241)
operation for operation; numpy's log and exp give math's bits on this CPU (x86-64-v3; numpy
picks SIMD code by CPU, so ``benchmarks/draws.py`` checks millions and a test fewer, wherever
they run; sqrt is exact by IEEE 754); and ``rounded`` rounds an array with numpy, then
rounds again with Python's ``round`` the rare elements that lie within numpy's error of a tie.

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
from .errors import InvalidInput

__all__ = [
    "Sampler",
    "normal_quantile",
    "option_codes",
    "option_table",
    "rounded",
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


# -- What a float takes one branch of, an array takes elementwise ------------------------------


def _piecewise(x: Values, first_if: Quantile, first: Quantile, second: Quantile) -> Values:
    """``first(x)`` where ``first_if(x)``, else ``second(x)``; an array's elements each go
    through only their own branch (so a branch never sees a value it is not meant for)."""
    if not isinstance(x, np.ndarray):
        return first(x) if first_if(x) else second(x)
    out = np.empty_like(x)
    chosen = first_if(x)
    for branch, at in ((first, np.flatnonzero(chosen)), (second, np.flatnonzero(~chosen))):
        if at.size:  # positions, not masks: gathering by a mask costs several times more
            out[at] = branch(x[at])
    return out


def _select(condition: Values, yes: Values, no: Values) -> Values:
    if isinstance(condition, np.ndarray):
        return np.where(condition, yes, no)
    return yes if condition else no


def _clamp(x: Values, low: float, high: float) -> Values:
    """Python's ``min(max(x, low), high)``: ``x`` unless ``low`` is above it or ``high`` below
    (so the sign of a zero, and an int bound, come out as Python's do)."""
    if not isinstance(x, np.ndarray):
        return min(max(x, low), high)
    x = np.where(low > x, low, x)
    return np.where(high < x, high, x)


def _sqrt(x: Values) -> Values:
    return np.sqrt(x) if isinstance(x, np.ndarray) else math.sqrt(x)


def _log(x: Values) -> Values:
    return np.log(x) if isinstance(x, np.ndarray) else math.log(x)


def _exp(x: Values) -> Values:
    return np.exp(x) if isinstance(x, np.ndarray) else math.exp(x)


# -- The inverse normal CDF: CPython's statistics._normal_dist_inv_cdf (AS241), ported ----------

# Wichura's coefficients as CPython writes them, highest power first; each region's numerator
# (8) and denominator (8): the centre |p - 0.5| <= 0.425, the near tail r <= 5, the far tail.
_AS241 = """
    2.50908_09287_30122_6727e+3  3.34305_75583_58812_8105e+4  6.72657_70927_00870_0853e+4
    4.59219_53931_54987_1457e+4  1.37316_93765_50946_1125e+4  1.97159_09503_06551_4427e+3
    1.33141_66789_17843_7745e+2  3.38713_28727_96366_6080e+0
    5.22649_52788_52854_5610e+3  2.87290_85735_72194_2674e+4  3.93078_95800_09271_0610e+4
    2.12137_94301_58659_5867e+4  5.39419_60214_24751_1077e+3  6.87187_00749_20579_0830e+2
    4.23133_30701_60091_1252e+1  1.0

    7.74545_01427_83414_07640e-4  2.27238_44989_26918_45833e-2  2.41780_72517_74506_11770e-1
    1.27045_82524_52368_38258e+0  3.64784_83247_63204_60504e+0  5.76949_72214_60691_40550e+0
    4.63033_78461_56545_29590e+0  1.42343_71107_49683_57734e+0
    1.05075_00716_44416_84324e-9  5.47593_80849_95344_94600e-4  1.51986_66563_61645_71966e-2
    1.48103_97642_74800_74590e-1  6.89767_33498_51000_04550e-1  1.67638_48301_83803_84940e+0
    2.05319_16266_37758_82187e+0  1.0

    2.01033_43992_92288_13265e-7  2.71155_55687_43487_57815e-5  1.24266_09473_88078_43860e-3
    2.65321_89526_57612_30930e-2  2.96560_57182_85048_91230e-1  1.78482_65399_17291_33580e+0
    5.46378_49111_64114_36990e+0  6.65790_46435_01103_77720e+0
    2.04426_31033_89939_78564e-15 1.42151_17583_16445_88870e-7  1.84631_83175_10054_68180e-5
    7.86869_13114_56132_59100e-4  1.48753_61290_85061_48525e-2  1.36929_88092_27358_05310e-1
    5.99832_20655_58879_37690e-1  1.0
"""
_NUMBERS = [float(x) for x in _AS241.split()]
_CENTRE, _CENTRE_DEN, _NEAR, _NEAR_DEN, _FAR, _FAR_DEN = (
    tuple(_NUMBERS[i : i + 8]) for i in range(0, 48, 8)
)


def normal_quantile(p: Values, mu: float, sigma: float) -> Values:
    """The normal's inverse CDF at ``p`` in (0, 1): ``NormalDist(mu, sigma).inv_cdf(p)``, the
    same operations in the same order (Wichura 1988, AS241), for a float or an array."""
    return mu + (_piecewise(p, _is_central, _central, _tail) * sigma)


def _horner(r: Values, c: tuple[float, ...]) -> Values:
    """The polynomial ``c`` at ``r``, in AS241's order of operations:
    ``((c0 * r + c1) * r + c2) … * r + c7``."""
    value = r * c[0]
    for coefficient in c[1:-1]:
        value += coefficient  # an array's in place: no new array per operation
        value *= r
    value += c[-1]
    return value


def _is_central(p: Values) -> Values:
    return abs(p - 0.5) <= 0.425


def _central(p: Values) -> Values:
    q = p - 0.5
    r = 0.180625 - q * q
    return _horner(r, _CENTRE) * q / _horner(r, _CENTRE_DEN)


def _tail(p: Values) -> Values:
    q = p - 0.5
    r = _sqrt(-_log(_select(q <= 0.0, p, 1.0 - p)))
    x = _piecewise(r, lambda r: r <= 5.0, _near_tail, _far_tail)
    return _select(q < 0.0, -x, x)


def _near_tail(r: Values) -> Values:
    r = r - 1.6
    return _horner(r, _NEAR) / _horner(r, _NEAR_DEN)


def _far_tail(r: Values) -> Values:
    r = r - 5.0
    return _horner(r, _FAR) / _horner(r, _FAR_DEN)


_Z95 = normal_quantile(0.95, 0.0, 1.0)


# -- Rounding: Python's round, for a float or an array -------------------------------------------


def rounded(x: Values, digits: int | None = None) -> Values:
    """Python's ``round(x, digits)``: correctly rounded from the exact binary value, ties to
    even; with no ``digits``, to a whole number (an int for a float, whole floats in an array)."""
    if not isinstance(x, np.ndarray):
        return round(x) if digits is None else round(x, digits)
    if digits is None:
        return np.rint(x)  # exact: rint rounds the binary value itself, ties to even
    out = np.empty_like(x)
    trusted = np.zeros(x.shape, dtype=bool)
    if -22 <= digits <= 22:  # 10**|digits| is exact as a float
        scale = 10.0 ** abs(digits)
        with np.errstate(all="ignore"):  # a huge x overflows here: it is not trusted below
            t = x * scale if digits >= 0 else x / scale
            whole = np.rint(t)
            (np.divide if digits >= 0 else np.multiply)(whole, scale, out=out)
            # t is x·10^d within half an ulp (at most |t|·2^-53): its rint is the exact one
            # unless t lies that close to a tie; |t - whole| is exact here (Sterbenz).
            # In place, one step at a time: ||t - whole| - 0.5| > |t|·2^-51, and |t| < 2^50.
            tie = np.abs(np.subtract(t, whole, out=whole), out=whole)
            tie = np.abs(np.subtract(tie, 0.5, out=tie), out=tie)
            size = np.abs(t, out=t)
            trusted = size < 2.0**50
            trusted &= tie > np.multiply(size, 2.0**-51, out=size)
    for i in np.flatnonzero(~trusted):
        out[i] = round(float(x[i]), digits)
    return out


# -- The inverse CDF of each kind ------------------------------------------------------------


def _uniform(a: float, b: float) -> Quantile:
    return lambda u: a + (b - a) * u


def _triangular(a: float, c: float, b: float) -> Quantile:
    """Rising from ``a`` to the mode ``c`` below the mode's share of ``u``, falling to ``b``."""
    if b == a:
        return lambda u: np.full(u.shape, a) if isinstance(u, np.ndarray) else a
    split = (c - a) / (b - a)

    def rising(u: Values) -> Values:
        return a + _sqrt(u * (b - a) * (c - a))

    def falling(u: Values) -> Values:
        return b - _sqrt((1 - u) * (b - a) * (b - c))

    return lambda u: _piecewise(u, lambda v: v < split, rising, falling)


def _truncated(mu: float, sigma: float, lo: float, hi: float, *, exp: bool) -> Quantile:
    """A normal (``exp``: a log-normal, ``lo`` and ``hi`` then on the log scale) truncated to
    [lo, hi]: ``u`` spread over the CDF between them, kept off 0 and 1 and clipped."""
    dist = NormalDist(mu, sigma)
    c_lo = dist.cdf(lo) if lo > -math.inf else 0.0
    c_hi = dist.cdf(hi) if hi < math.inf else 1.0
    width = c_hi - c_lo
    low_clip, high_clip = (math.exp(lo) if exp else lo), (math.exp(hi) if exp else hi)

    def quantile(u: Values) -> Values:
        x = normal_quantile(_clamp(c_lo + width * u, 1e-12, 1 - 1e-12), mu, sigma)
        return _clamp(_exp(x) if exp else x, low_clip, high_clip)

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
        quantile = _truncated(magnitude(value.mean), magnitude(value.sd), lo, hi, exp=False)
    elif isinstance(value, LogNormal):
        mu = math.log(magnitude(value.median))
        sigma = (math.log(magnitude(value.p95)) - mu) / _Z95
        lo_log = math.log(lo) if lo > 0 else -math.inf
        hi_log = math.log(hi) if hi < math.inf else math.inf
        quantile = _truncated(mu, sigma, lo_log, hi_log, exp=True)
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
            seconds=rounded(_clamp(quantile(rng.random()), -math.inf, _LONGEST))
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
        return _durations(rounded(_clamp(x, -math.inf, _LONGEST)))
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
