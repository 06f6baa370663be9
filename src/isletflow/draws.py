"""One value of a scenario field, drawn: fixed values as they are, distributions by inverse CDF.

``sampler`` turns a field's value (fixed, or a distribution of ``isletflow.distributions``) into
a function of a numpy ``Generator`` that draws exactly one uniform double per sample, kept
inside the field's valid range. ``isletflow.sampling`` builds a case's samplers from these.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from numpy.random import Generator

__all__ = ["Sampler", "sampler", "values"]

_Z95 = NormalDist().inv_cdf(0.95)
_LONGEST = timedelta.max // timedelta(seconds=1)  # seconds: a longer draw would overflow


Sampler = Callable[[Any], Any]
"""Draws one value from a numpy ``Generator``; fixed values ignore it (and may be given None).

Every sampler draws exactly one uniform double per sample (inverse CDF), so the draws a case
consumes never depend on the values drawn."""


def sampler(value: Any, span: Range | None = None, *, integer: bool = False) -> Sampler:
    """A function that draws one value from ``value`` (fixed values draw nothing)."""
    span = span or Range()
    as_time = isinstance(_first_param(value), timedelta)
    digits = 0 if as_time or integer else span.decimals
    draw = _draw(value, span)
    if draw is None:
        fixed = round(value) if integer else value
        return lambda rng: fixed
    if isinstance(value, Bernoulli | Choice):
        return draw
    if as_time:  # a log-normal tail can pass timedelta's largest value: cap it there
        return lambda rng: timedelta(seconds=round(min(draw(rng), _LONGEST)))
    if integer:
        return lambda rng: round(draw(rng))
    return lambda rng: round(draw(rng), digits)


def _first_param(value: Any) -> Any:
    for name in ("low", "mean", "median"):
        if hasattr(value, name):
            return getattr(value, name)
    return value


def _draw(value: Any, span: Range) -> Callable[[Generator], Any] | None:
    lo = -math.inf if span.low is None else span.low
    hi = math.inf if span.high is None else span.high
    if isinstance(value, Uniform):
        a, b = magnitude(value.low), magnitude(value.high)
        return lambda rng: a + (b - a) * rng.random()
    if isinstance(value, Triangular):
        a, c, b = magnitude(value.low), magnitude(value.mode), magnitude(value.high)
        return lambda rng: _triangular(rng.random(), a, c, b)
    if isinstance(value, Normal):
        dist = NormalDist(magnitude(value.mean), magnitude(value.sd))
        return _truncated(dist, lo, hi, exp=False)
    if isinstance(value, LogNormal):
        mu = math.log(magnitude(value.median))
        sigma = (math.log(magnitude(value.p95)) - mu) / _Z95
        lo_log = math.log(lo) if lo > 0 else -math.inf
        hi_log = math.log(hi) if hi < math.inf else math.inf
        return _truncated(NormalDist(mu, sigma), lo_log, hi_log, exp=True)
    if isinstance(value, Bernoulli):
        p = value.p
        return lambda rng: rng.random() < p
    if isinstance(value, Choice):
        return _choice(value)
    return None


def _triangular(u: float, a: float, c: float, b: float) -> float:
    if b == a:
        return a
    split = (c - a) / (b - a)
    if u < split:
        return a + math.sqrt(u * (b - a) * (c - a))
    return b - math.sqrt((1 - u) * (b - a) * (b - c))


def _truncated(dist: NormalDist, lo: float, hi: float, *, exp: bool) -> Callable[[Generator], Any]:
    c_lo = dist.cdf(lo) if lo > -math.inf else 0.0
    c_hi = dist.cdf(hi) if hi < math.inf else 1.0
    width = c_hi - c_lo
    low_clip, high_clip = (math.exp(lo) if exp else lo), (math.exp(hi) if exp else hi)

    def draw(rng: Generator) -> float:
        u = c_lo + width * rng.random()
        u = min(max(u, 1e-12), 1 - 1e-12)
        x = dist.inv_cdf(u)
        x = math.exp(x) if exp else x
        return min(max(x, low_clip), high_clip)

    return draw


def _choice(value: Choice[Any]) -> Callable[[Generator], Any]:
    names = list(value.options)
    weights = value.weights if value.weights is not None else [1.0] * len(names)
    total = sum(weights)
    cumulative, running = [], 0.0
    for w in weights:
        running += w / total
        cumulative.append(running)
    last = len(names) - 1

    def draw(rng: Generator) -> Any:
        u = rng.random()
        for i, edge in enumerate(cumulative):
            if u < edge:
                return names[i]
        return names[last]

    return draw


class _Next:
    """A stand-in generator whose next double is given (the reference ``values`` only)."""

    __slots__ = ("u",)

    def __init__(self, u: float) -> None:
        self.u = u

    def random(self) -> float:
        return self.u


def values(value: Any, u: Any, span: Range | None = None, *, integer: bool = False) -> Any:
    """What ``sampler(value, span, integer=integer)`` draws for each uniform of ``u``: element
    i is the value a generator whose next double is ``u[i]`` gives. Numbers are float64 (int64
    when ``integer``), times timedelta64[us], flags bool, choices and texts object arrays.

    REFERENCE IMPLEMENTATION (one call per element, slow): to be replaced by array code that
    gives the same values, bit for bit.
    """
    draw = sampler(value, span, integer=integer)
    got = [draw(_Next(float(x))) for x in np.asarray(u, dtype=np.float64).ravel()]
    if got and all(isinstance(g, timedelta) for g in got):
        return np.array(got, dtype="timedelta64[us]")
    if got and all(isinstance(g, bool) for g in got):
        return np.array(got, dtype=bool)
    if got and all(isinstance(g, int) and not isinstance(g, bool) for g in got):
        return np.array(got, dtype=np.int64)
    if got and all(isinstance(g, float) for g in got):
        return np.array(got, dtype=np.float64)
    return np.array(got, dtype=object)
