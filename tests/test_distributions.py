"""Samplers: values stay in range, follow their distribution, and draw once per sample."""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Annotated

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from isletflow.distributions import Flag, NumberValue, OneOf, Range, TextValue, TimeValue, Uniform
from isletflow.sampling import sampler
from isletflow.scenario import Scenario
from isletflow.scenario_sections import PreparationSpec, span_of
from strategies_sim import standard


def _values(field: str, value: object, n: int = 2000) -> list[float]:
    data = standard()
    data["preparation"][field] = value
    spec = Scenario.from_mapping(data).preparation
    draw = sampler(getattr(spec, field), span_of(PreparationSpec, field))
    rng = np.random.Generator(np.random.PCG64(7))
    return [draw(rng) for _ in range(n)]


def test_truncated_normal_stays_in_range():
    """A normal centred near a limit is truncated to the field's range, never clipped past it."""
    values = _values("viability_percent", {"normal": [98, 10]})
    assert min(values) >= 0
    assert max(values) <= 100
    assert sum(v == 100 for v in values) < 5  # truncation, not a pile-up at the limit


def test_lognormal_has_its_median_and_p95():
    """A lognormal given by median and p95 has about that median and 95th percentile."""
    values = sorted(_values("endotoxin_eu_per_kg", {"lognormal": [0.5, 2.5]}, 4000))
    assert statistics.median(values) == pytest.approx(0.5, rel=0.08)
    assert values[int(0.95 * len(values))] == pytest.approx(2.5, rel=0.15)


def test_triangular_and_uniform_stay_within_their_bounds():
    """Uniform and triangular values lie between their low and high."""
    for spec in ({"uniform": [20, 40]}, {"triangular": [20, 25, 40]}):
        values = _values("purity_percent", spec)
        assert min(values) >= 20
        assert max(values) <= 40


def test_choice_follows_its_weights():
    """A weighted choice picks each option about as often as its weight says."""
    data = standard()
    data["approach"] = {"choice": {"percutaneous": 3, "open": 1}}
    draw = sampler(Scenario.from_mapping(data).approach)
    rng = np.random.Generator(np.random.PCG64(1))
    picks = [draw(rng) for _ in range(4000)]
    assert picks.count("percutaneous") / len(picks) == pytest.approx(0.75, abs=0.03)


def test_durations_are_drawn_to_the_second():
    """A duration distribution gives whole-second timedeltas."""
    data = standard()
    data["timings"]["culture"] = {"uniform": ["1h", "2h"]}
    spec = Scenario.from_mapping(data).timings.culture
    draw = sampler(spec, Range(0, None, 0, duration=True))
    value = draw(np.random.Generator(np.random.PCG64(3)))
    assert isinstance(value, timedelta)
    assert timedelta(hours=1) <= value <= timedelta(hours=2)
    assert value.microseconds == 0


@given(st.floats(-50, 150), st.floats(0.1, 80), st.integers(0, 2**32))
def test_every_sampler_draws_exactly_once(mean: float, sd: float, seed: int):
    """Each random value consumes one uniform draw, whatever the value drawn."""
    draw = sampler(_normal(mean, sd), Range(0, 100))
    rng, twin = (
        np.random.Generator(np.random.PCG64(seed)),
        np.random.Generator(np.random.PCG64(seed)),
    )
    value = draw(rng)
    twin.random()
    assert 0 <= value <= 100
    assert rng.random() == twin.random()


def _normal(mean: float, sd: float) -> object:
    from isletflow.distributions import Normal

    return Normal[float](mean=min(max(mean, 0), 100), sd=sd)


class _Toy(BaseModel):
    """A model built only from the public field kinds and rules (toy values, not clinical)."""

    size: Annotated[NumberValue, Range(0, 10, unit="cm")]
    wait: Annotated[TimeValue, Range.at_least(timedelta(minutes=1))] = timedelta(minutes=5)
    colour: Annotated[TextValue, OneOf("red", "blue")] = "red"
    lit: Flag = False


def test_a_kind_and_its_rule_read_short_forms_and_check_every_parameter():
    """Annotated[kind, rule] reads short forms, validates the long one and lists each problem."""
    toy = _Toy.model_validate({"size": {"uniform": [2, 3]}, "lit": {"bernoulli": 0.1}})
    assert toy.size == Uniform[float](low=2, high=3)
    bad = {"size": {"uniform": [-1, 30]}, "wait": "30s", "colour": {"choice": ["green"]}}
    with pytest.raises(ValidationError) as caught:
        _Toy.model_validate(bad)
    rules = {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}
    assert rules == {
        "size": "Value error, low -1 cm is below the smallest allowed value, 0 cm; "
        "high 30 cm is above the largest allowed value, 10 cm",
        "wait": "Value error, is below the smallest allowed value, '1min'",
        "colour": "Value error, option 'green' must be one of red, blue",
    }
