"""Hypothesis strategies for scenario fields as ``isletflow.draws`` sees them: a value (fixed or
any distribution, valid for its range), the field's ``Range`` and whether it holds whole numbers;
and uniforms, leaning on the edges (0, just below 1, the clamps of a truncated normal)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from isletflow.distributions import (
    Bernoulli,
    Choice,
    LogNormal,
    Normal,
    Range,
    Triangular,
    Uniform,
)

EDGES = [0.0, 2**-53, 1e-300, 1e-16, 1e-12, 1e-12 + 2**-92, 0.5, 1 - 1e-12, 1 - 2**-52, 1 - 2**-53]
"""Uniforms where rules change: the first and last doubles, the 1e-12 clamp, the centre."""

uniforms = st.lists(
    st.one_of(st.floats(0, 1, exclude_max=True), st.sampled_from(EDGES)), max_size=40
)
"""An array's worth of uniforms in [0, 1), edges included, sometimes none."""

_SPAN = 1e6  # how far a range or a value reaches (the scenario's ranges reach 1e7)


@st.composite
def ranges(draw: st.DrawFn) -> Range:
    """A number field's range: bounded on either side or neither, kept to any decimals."""
    low = draw(st.none() | st.floats(-_SPAN, _SPAN))
    high = draw(st.none() | st.floats(0, _SPAN).map(lambda w: w + (low or 0.0)))
    decimals = draw(st.integers(0, 4) | st.integers(-3, 17))
    return Range(low, high, decimals)


def _inside(span: Range) -> st.SearchStrategy[float]:
    low = span.low if span.low is not None else (span.high or 0.0) - _SPAN
    high = span.high if span.high is not None else low + 2 * _SPAN
    return st.floats(low, high)


@st.composite
def number_fields(draw: st.DrawFn) -> tuple[Any, Range, bool]:
    """A number field: fixed or any distribution of numbers, within its range."""
    span = draw(ranges())
    inside = _inside(span)
    kind = draw(
        st.sampled_from(["fixed", "uniform", "triangular", "normal", "lognormal", "choice"])
    )
    value: Any = draw(inside)
    if kind == "uniform":
        low, high = sorted(draw(st.tuples(inside, inside)))
        value = Uniform[float](low=low, high=high)
    elif kind == "triangular":
        low, mode, high = sorted(draw(st.tuples(inside, inside, inside)))
        value = Triangular[float](low=low, mode=mode, high=high)
    elif kind == "normal":
        sd = draw(st.floats(1e-6, 2 * _SPAN))
        value = Normal[float](mean=value, sd=sd)
    elif kind == "lognormal" and (span.low is None or span.low >= 0) and value > 0:
        p95 = value * draw(st.floats(1.0001, 1e3))
        value = LogNormal[float](median=value, p95=p95)
    elif kind == "choice":
        value = _choice(draw, draw(st.lists(inside, min_size=1, max_size=4)))
    return value, span, draw(st.booleans())


_DAY = 86_400.0


@st.composite
def duration_fields(draw: st.DrawFn) -> tuple[Any, Range, bool]:
    """A duration field (``Range.at_least``): fixed or any distribution of durations."""
    shortest = draw(st.sampled_from([0.0, 60.0]))
    span = Range(shortest, None, 0, duration=True)
    inside = st.floats(shortest, 30 * _DAY).map(lambda s: timedelta(seconds=s))
    kind = draw(
        st.sampled_from(["fixed", "uniform", "triangular", "normal", "lognormal", "choice"])
    )
    value: Any = draw(inside)
    if kind == "uniform":
        low, high = sorted(draw(st.tuples(inside, inside)))
        value = Uniform[timedelta](low=low, high=high)
    elif kind == "triangular":
        low, mode, high = sorted(draw(st.tuples(inside, inside, inside)))
        value = Triangular[timedelta](low=low, mode=mode, high=high)
    elif kind == "normal":
        sd = timedelta(seconds=draw(st.floats(1, 10 * _DAY)))
        value = Normal[timedelta](mean=value, sd=sd)
    elif kind == "lognormal" and value > timedelta(0):  # wider, its tail passes 292,000 years
        p95 = value * draw(st.floats(1.0001, 20))
        value = LogNormal[timedelta](median=value, p95=p95)
    elif kind == "choice":
        value = _choice(draw, draw(st.lists(inside, min_size=1, max_size=4)))
    return value, span, False


@st.composite
def other_fields(draw: st.DrawFn) -> tuple[Any, Range, bool]:
    """A flag or a text field, fixed or drawn; or a field left out (None)."""
    value = draw(
        st.one_of(
            st.booleans(),
            st.floats(0, 1).map(lambda p: Bernoulli(p=p)),
            st.sampled_from(["UW", "HTK", None]),
            st.lists(st.sampled_from(["UW", "HTK", "IGL-1"]), min_size=1, max_size=3).map(
                lambda options: _choice(draw, options)
            ),
        )
    )
    return value, Range(), False


def _choice(draw: st.DrawFn, options: list[Any]) -> Choice[Any]:
    weights = draw(
        st.none() | st.lists(st.floats(0, 10), min_size=len(options), max_size=len(options))
    )
    if weights is not None and sum(weights) <= 0:
        weights = None
    return Choice[Any](options=options, weights=weights)


fields = st.one_of(number_fields(), duration_fields(), other_fields())
"""Any scenario field: its value, its range, and whether it holds whole numbers."""
