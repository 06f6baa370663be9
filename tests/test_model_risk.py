"""The risk arithmetic and the calibrations: logistic models and fits to published figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from isletflow.model.calibration import (
    base_risk_for_rate,
    jeffreys_rate,
    jeffreys_share,
    logistic_scale_for_cv,
    median_for_mean,
    odds_ratio,
)
from isletflow.model.risk import logistic, logit, odds_term, risk, uniform_logit


@given(st.floats(1e-9, 1 - 1e-9))
def test_logistic_undoes_logit(p: float) -> None:
    """logistic(logit(p)) is p."""
    assert logistic(logit(p)) == pytest.approx(p, rel=1e-9)


def test_logistic_has_no_overflow_at_the_extremes() -> None:
    """Huge log-odds give 0 and 1 without a numpy overflow warning (warnings are errors)."""
    assert logistic(np.array([-1e4, 1e4])).tolist() == [0.0, 1.0]


def test_an_odds_ratio_multiplies_the_odds() -> None:
    """A risk with one exposure has the reference odds times the odds ratio."""
    p = risk(0.2, odds_term(3.0, True))
    assert p / (1 - p) == pytest.approx(3.0 * 0.2 / 0.8)
    assert risk(0.2, odds_term(3.0, False)) == pytest.approx(0.2)


def test_a_uniform_of_zero_gives_a_finite_deviate() -> None:
    """A draw of exactly 0 (numpy's random() can return it) still gives a finite value."""
    assert np.isfinite(uniform_logit(0.0))
    assert uniform_logit(0.5) == 0.0


def test_odds_ratios_from_counts() -> None:
    """A plain odds ratio for counts, Haldane–Anscombe's ½ only when a cell is empty."""
    assert odds_ratio(2, 51, 3, 11) == pytest.approx((2 / 49) / (3 / 8))
    assert odds_ratio(0, 15, 7, 62) == pytest.approx((0.5 / 15.5) / (7.5 / 55.5))


def test_jeffreys_rates_and_shares() -> None:
    """No event in n gives ½ / (n + 1); shares over k categories sum to 1."""
    assert jeffreys_rate(0, 101) == pytest.approx(0.5 / 102)
    assert sum(jeffreys_share(c, 5, 4) for c in (2, 3, 0, 0)) == pytest.approx(1.0)


def test_a_base_risk_reproduces_its_overall_rate() -> None:
    """The calibrated reference risk, mixed over its groups, averages to the published rate."""
    weights, shifts = [2.0, 1.0], [0.0, math.log(9.5)]
    base = base_risk_for_rate(0.17, weights, shifts)
    mixed = (2 * base + risk(base, shifts[1])) / 3
    assert mixed == pytest.approx(0.17)


def test_a_logistic_spread_reproduces_its_cv_and_mean() -> None:
    """exp(s · L) has the coefficient of variation it was fitted to, and the median its mean."""
    scale = logistic_scale_for_cv(0.4)
    draws = np.exp(scale * uniform_logit((np.arange(1_000_000) + 0.5) / 1_000_000))
    assert draws.std() / draws.mean() == pytest.approx(0.4, rel=1e-2)
    assert median_for_mean(1.0, scale) * draws.mean() == pytest.approx(1.0, rel=1e-3)
