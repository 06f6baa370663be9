"""``draws.values`` over an array of uniforms is, element for element and bit for bit, what
``draws.sampler`` draws from a generator whose next double is each of them."""

from __future__ import annotations

import math
import statistics
import struct
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from numpy.lib.introspect import opt_func_info

import strategies_draws as sd
from isletflow.distributions import (
    Bernoulli,
    Choice,
    LogNormal,
    Normal,
    Range,
    Triangular,
    Uniform,
)
from isletflow.draws import sampler, values
from isletflow.elementwise import normal_quantile, rounded
from isletflow.errors import InvalidInput
from isletflow.scenario import Scenario
from isletflow.scenario_sections import span_of

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios"
HOUR = timedelta(hours=1)


class _Next:
    """A stand-in generator whose next double is given."""

    def __init__(self, u: float) -> None:
        self.u = u

    def random(self) -> float:
        return self.u


def _identical(a: Any, b: Any) -> bool:
    """The same value of the same kind; floats to the bit (an int bound is its float here)."""
    if isinstance(a, float) and isinstance(b, int | float) and not isinstance(b, bool):
        return struct.pack("<d", a) == struct.pack("<d", float(b))
    return type(a) is type(b) and a == b


def _assert_draws(value: Any, u: Any, span: Range | None = None, integer: bool = False) -> Any:
    """values(value, u) is, element for element, the sampler's draw for each uniform."""
    draw = sampler(value, span, integer=integer)
    u = np.asarray(u, dtype=np.float64)
    got = values(value, u, span, integer=integer)
    one_by_one = [draw(_Next(x)) for x in u.tolist()]
    assert got.shape == u.shape
    differ = [
        (x, a, b)
        for x, a, b in zip(u.tolist(), got.tolist(), one_by_one, strict=True)
        if not _identical(a, b)
    ]
    assert not differ, f"{len(differ)} differ, e.g. (u, array, sampler): {differ[:3]}"
    return got


def _around(*points: float, steps: int = 3) -> list[float]:
    """Each point and its neighbouring doubles, kept in [0, 1)."""
    near = []
    for point in points:
        x = point
        for _ in range(steps):
            x = math.nextafter(x, -math.inf)
        for _ in range(2 * steps + 1):
            near.append(x)
            x = math.nextafter(x, math.inf)
    return [x for x in near if 0.0 <= x < 1.0]


EDGES = [*sd.EDGES, *_around(1e-12, 1 - 1e-12, 0.075, 0.925, math.exp(-25), 1 - math.exp(-25))]
EDGES += [10.0**-k for k in range(1, 17)] + [1 - 10.0**-k for k in range(1, 16)]
GRID = np.concatenate([np.linspace(0, 1, 2001, endpoint=False), EDGES])


# -- Each kind -----------------------------------------------------------------------------


@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 3, 4, 7, 17])
def test_uniform_numbers_at_every_decimals(decimals: int) -> None:
    """A uniform number, to any decimals, with uniforms that land on and beside rounding ties."""
    span = Range(-50, 150, decimals)
    value = Uniform[float](low=-7.3, high=123.1)
    ties = [(k + 0.5) * 10.0**-decimals for k in range(-100, 1300)]
    near_ties = _around(*((t + 7.3) / 130.4 for t in ties), steps=2)
    _assert_draws(value, np.concatenate([GRID, near_ties]), span)


def test_uniform_draws_that_are_exact_ties_round_to_even() -> None:
    """Uniform(0, 1) to 2 decimals: u = 0.125 is a tie (0.12), u = 0.005 is above one (0.01)."""
    got = _assert_draws(Uniform[float](low=0, high=1), [0.125, 0.375, 0.005, 0.015], Range(0, 1, 2))
    assert got.tolist() == [0.12, 0.38, 0.01, 0.01]


@pytest.mark.parametrize(
    ("low", "mode", "high"), [(2, 5, 11), (2, 2, 11), (2, 11, 11), (4, 4, 4), (0, 1e-9, 1e6)]
)
def test_triangular_on_both_sides_of_the_mode(low: float, mode: float, high: float) -> None:
    """A triangular number on both sides of the mode's share of u, and exactly at it."""
    value = Triangular[float](low=low, mode=mode, high=high)
    split = (mode - low) / (high - low) if high > low else 0.5
    _assert_draws(value, np.concatenate([GRID, _around(split)]), Range(0, 1e6, 2))


@pytest.mark.parametrize(
    "span",
    [Range(0, 100, 1), Range(0, None, 1), Range(None, 14, 1), Range(), Range(59.9, 60.1, 4)],
    ids=["two-sided", "low only", "high only", "unbounded", "narrow"],
)
@pytest.mark.parametrize(("mean", "sd"), [(60, 14), (98, 10), (0.5, 1e-6), (60, 1e4)])
def test_truncated_normal(span: Range, mean: float, sd: float) -> None:
    """A normal truncated to its range, near and at the truncation and the 1e-12 clamps."""
    low = -math.inf if span.low is None else span.low
    high = math.inf if span.high is None else span.high
    _assert_draws(Normal[float](mean=min(max(mean, low), high), sd=sd), GRID, span)


@pytest.mark.parametrize(
    ("span", "median"),
    [
        (Range(0, 1000, 2), 0.5),
        (Range(0.1, 10, 2), 1),
        (Range(None, None, 3), 1),
        (Range(1, 1, 0), 1),
    ],
    ids=["from zero", "positive low", "unbounded", "a point"],
)
@pytest.mark.parametrize("spread", [1.3, 5, 1e6])
def test_truncated_lognormal(span: Range, median: float, spread: float) -> None:
    """A log-normal truncated on the log scale, with a positive, a zero or no lower bound."""
    _assert_draws(LogNormal[float](median=median, p95=median * spread), GRID, span)


@pytest.mark.parametrize(
    "value",
    [
        LogNormal[timedelta](median=6 * HOUR, p95=10 * HOUR),
        LogNormal[timedelta](median=HOUR, p95=150 * HOUR),
        Normal[timedelta](mean=30 * timedelta(minutes=1), sd=30 * timedelta(minutes=1)),
        Triangular[timedelta](low=timedelta(0), mode=24 * HOUR, high=60 * HOUR),
        Uniform[timedelta](low=timedelta(minutes=20), high=timedelta(minutes=30)),
    ],
    ids=["lognormal", "lognormal wide", "normal", "triangular", "uniform"],
)
def test_durations_to_the_second(value: Any) -> None:
    """Drawn durations are whole seconds (ties to even), timedelta64[us] in an array."""
    seconds = [(k + 0.5) / 600 for k in range(600)]  # Uniform(20min, 30min) lands on .5 s
    got = _assert_draws(value, np.concatenate([GRID, seconds]), Range.at_least(timedelta(0)))
    assert got.dtype == np.dtype("timedelta64[us]")


def test_whole_numbers_are_int64() -> None:
    """An integer field's draws are rounded half to even into int64."""
    value = Uniform[float](low=17.5, high=65.5)
    got = _assert_draws(
        value, np.concatenate([GRID, [0.0, 1 / 48, 2 / 48]]), Range(0, 120, 0), True
    )
    assert got.dtype == np.int64
    assert got[-3:].tolist() == [18, 18, 20]


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 1.0])
def test_flags(p: float) -> None:
    """A Bernoulli flag is u < p, bool."""
    got = _assert_draws(Bernoulli(p=p), np.concatenate([GRID, _around(p)]))
    assert got.dtype == bool


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (Choice[str](options=["percutaneous", "laparoscopic", "open"], weights=[8, 1, 1]), object),
        (Choice[str](options=["A", "B", "C"], weights=[0, 3, 0]), object),
        (Choice[str](options=["only"]), object),
        (Choice[float](options=[40.0, 50.5, 0.1]), np.float64),
        (Choice[timedelta](options=[HOUR, 2 * HOUR]), np.dtype("timedelta64[us]")),
    ],
)
def test_choices_by_cumulative_edges(value: Choice[Any], dtype: Any) -> None:
    """A choice picks the first option whose cumulative share lies above u, edges included."""
    weights = value.weights or [1.0] * len(value.options)
    edges = np.cumsum(np.array(weights) / sum(weights))
    got = _assert_draws(value, np.concatenate([GRID, _around(*edges[:-1]), [1 - 2**-53]]))
    assert got.dtype == dtype


@pytest.mark.parametrize(
    ("value", "integer", "dtype"),
    [
        (12.5, False, np.float64),
        (-0.0, False, np.float64),
        (12.5, True, np.int64),
        (3, False, np.int64),
        (None, False, object),
        ("UW", False, object),
        (True, False, bool),
        (timedelta(hours=6, microseconds=7), False, np.dtype("timedelta64[us]")),
    ],
)
def test_fixed_values(value: Any, integer: bool, dtype: Any) -> None:
    """A fixed value is repeated (rounded to a whole number for an integer field)."""
    got = _assert_draws(value, [0.0, 0.5, 0.9], Range(0, 100, 1), integer)
    assert got.dtype == dtype


def test_no_uniforms_give_an_empty_array_of_the_fields_kind() -> None:
    """Zero uniforms give zero values, of the kind the field holds."""
    assert values(Normal[float](mean=1, sd=1), []).dtype == np.float64
    assert values(HOUR, np.empty(0)).dtype == np.dtype("timedelta64[us]")


def test_a_duration_too_long_for_an_array_is_refused() -> None:
    """A draw past what timedelta64[us] holds (about 292,000 years) is an error, not garbage."""
    huge = timedelta(days=200_000_000)
    with pytest.raises(InvalidInput, match=r"duration: .* is longer than an array of durations"):
        values(huge, [0.5])
    with pytest.raises(InvalidInput, match=r"duration: .* is longer than an array of durations"):
        values(Uniform[timedelta](low=huge, high=2 * huge), [0.5], Range.at_least(timedelta(0)))


# -- Any field, any uniforms ------------------------------------------------------------------


@given(sd.fields, sd.uniforms)
def test_any_field_draws_what_its_sampler_draws(field: tuple[Any, Range, bool], u: list[float]):
    """For any valid field and uniforms, values(v, u) is [sampler(v)(next double u_i)]."""
    value, span, integer = field
    _assert_draws(value, u, span, integer)


# -- A chunk -----------------------------------------------------------------------------------


def _population_fields() -> list[Any]:
    scenario = Scenario.load(EXAMPLES / "population.yaml")
    sections = [scenario.recipient, scenario.preparation, scenario.timings, scenario.treatment]
    sections += [scenario.donor, scenario.portal_pressure, scenario.course.profile, scenario.course]
    integer = {"age_years", "severe_hypoglycaemia_events", "clarke_score", "max_donors"}
    return [
        pytest.param(
            getattr(spec, name),
            span_of(type(spec), name),
            name in integer,
            id=f"{type(spec).__name__}.{name}",
        )
        for spec in sections
        for name in type(spec).model_fields
        if name not in ("cross_clamp_at", "id", "profile")
    ]


@pytest.mark.parametrize(("value", "span", "integer"), _population_fields())
def test_population_fields_over_a_chunk(value: Any, span: Range, integer: bool) -> None:
    """Every field of population.yaml over 10^4 uniforms from a generator, and its edges."""
    u = np.random.default_rng(2026).random(10_000)
    _assert_draws(value, np.concatenate([u, EDGES]), span, integer)


@pytest.mark.parametrize(
    ("value", "span"),
    [
        (Normal[float](mean=60, sd=14), Range(0, 100, 1)),
        (LogNormal[timedelta](median=6 * HOUR, p95=10 * HOUR), Range.at_least(timedelta(0))),
        (Triangular[float](low=2, mode=5, high=11), Range(0, 1000, 1)),
    ],
    ids=["normal", "lognormal duration", "triangular"],
)
def test_a_chunk_of_100_000(value: Any, span: Range) -> None:
    """A chunk of 10^5 uniforms, as the vectorised cohort draws them, bit for bit."""
    _assert_draws(value, np.random.default_rng(17).random(100_000), span)


# -- The rules underneath -----------------------------------------------------------------------


def _bits(x: Any) -> list[int]:
    return np.asarray(x, dtype=np.float64).view(np.int64).tolist()


def test_the_port_is_cpythons_inverse_normal_cdf() -> None:
    """normal_quantile equals statistics.NormalDist.inv_cdf, on floats and arrays, in all three
    of AS241's regions and at their borders, from 1e-300 to 1 - 2**-53."""
    rng = np.random.default_rng(3)
    p = np.concatenate(
        [
            rng.random(50_000),
            np.exp(-rng.uniform(0, 690, 50_000)),
            _around(0.075, 0.925, math.exp(-25), 1 - math.exp(-25), steps=20),
            [1e-300, 2**-1074, 1 - 2**-53],
        ]
    )
    p = np.concatenate([p, 1 - p[p < 0.5]])
    p = p[(p > 0) & (p < 1)]
    for mu, sigma in [(0.0, 1.0), (68.0, 11.0), (-1.5, 0.37)]:
        cpython = [statistics.NormalDist(mu, sigma).inv_cdf(x) for x in p.tolist()]
        assert _bits(normal_quantile(p, mu, sigma)) == _bits(cpython)
        assert _bits([normal_quantile(x, mu, sigma) for x in p[:2000].tolist()]) == _bits(
            cpython[:2000]
        )


def test_numpy_log_exp_and_sqrt_are_maths() -> None:
    """numpy's log, exp and sqrt give math's bits for the values the draws feed them (numpy
    picks its code by CPU: where its own SIMD log or exp differs, values is not bit for bit)."""
    rng = np.random.default_rng(11)
    for numpy_f, math_f, x in [
        (np.log, math.log, np.exp(rng.uniform(-28, 0, 100_000))),
        (np.sqrt, math.sqrt, rng.uniform(0, 700, 100_000)),
        (np.exp, math.exp, rng.uniform(-745, 709, 100_000)),
    ]:
        code = opt_func_info(func_name=f"^{numpy_f.__name__}$", signature="float64")
        differ = np.array(_bits(numpy_f(x))) != np.array(_bits([math_f(v) for v in x.tolist()]))
        assert not differ.any(), f"numpy's {numpy_f.__name__} is not math's here: {code}"


@pytest.mark.parametrize("digits", [-3, -1, 0, 1, 2, 3, 4, 6, 10, 15, 17, 22, 23, 300])
def test_rounding_is_pythons_round_at_and_beside_ties(digits: int) -> None:
    """rounded(array, d) is Python's round(x, d) bit for bit: exact ties go to even, values a
    hair above or below a tie go their way (where numpy's own rounding errs), large values
    and negative ones too."""
    rng = np.random.default_rng(digits + 100)
    scale = 10.0**digits
    ties = (rng.integers(-(10**6), 10**6, 2_000) + 0.5) / scale
    x = np.array([*_around(*ties.tolist(), steps=2), 0.0, -0.0, 1e300, -1e300, 2.0**53 + 2])
    x = np.concatenate(
        [x, [0.125, 0.375, 2.675, 1.005, 2.5, -2.5, 0.5, 1.5], rng.normal(0, 1e4, 1000)]
    )
    python = [round(v, digits) for v in x.tolist()]
    assert _bits(rounded(x, digits)) == _bits(python)
    assert [rounded(v, digits) for v in x.tolist()[:50]] == python[:50]


def test_numpys_own_rounding_would_not_do() -> None:
    """The ties above are ones np.round gets wrong: the fix-up is what makes them right."""
    x = np.array([0.05, 0.15, 0.35, 0.45, 0.8500000000000001])
    python = [round(v, 1) for v in x.tolist()]
    assert python == [0.1, 0.1, 0.3, 0.5, 0.9]
    assert np.round(x, 1).tolist() == [0.0, 0.2, 0.4, 0.4, 0.8]
    assert _bits(rounded(x, 1)) == _bits(python)


def test_whole_number_rounding_is_pythons() -> None:
    """rounded(array) rounds half to even, as round(x) does."""
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999999999999996, 4503599627370495.5])
    assert rounded(x).tolist() == [round(v) for v in x.tolist()]
