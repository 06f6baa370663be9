"""The graft model: elementwise on arrays, monotone in mass, and the Igls grade by its criteria."""

from __future__ import annotations

import numpy as np
import pytest

from isletflow.model import graft
from isletflow.model.calibration import need_for_cumulative_dose
from isletflow.model.parameters import DEFAULT

P = DEFAULT.graft
RNG = np.random.default_rng(7)
RATIOS = RNG.uniform(0.0, 2.0, 64)


def _elementwise(function, *columns):
    """``function`` on arrays equals it on each element's scalars."""
    together = np.asarray(function(*columns))
    one_by_one = [function(*(c[i].item() for c in columns)) for i in range(len(columns[0]))]
    assert together.shape == (len(columns[0]),)
    if together.dtype.kind in "US":
        assert list(together) == one_by_one
    else:
        np.testing.assert_allclose(together, np.array(one_by_one, dtype=float), rtol=1e-12)


def test_every_graft_function_works_elementwise_on_arrays():
    """Each graft function gives on a numpy array what it gives element by element."""
    doses = RNG.uniform(0, 15_000, 64)
    viability = RNG.uniform(50, 100, 64)
    clots = RNG.uniform(0, 1, 64) < 0.3
    years = RNG.uniform(-1, 6, 64)
    u = RNG.uniform(0, 1, 64)
    _elementwise(graft.engrafted_ieq_per_kg, doses, viability, clots)
    _elementwise(lambda m, y, a: graft.surviving_ieq_per_kg(m, y, a), doses, years, u)
    _elementwise(graft.need_ieq_per_kg, u)
    _elementwise(graft.attrition_per_year, u)
    _elementwise(graft.c_peptide_ng_per_ml, RATIOS)
    _elementwise(lambda r, b: graft.insulin_units_per_kg(r, b), RATIOS, u)
    _elementwise(lambda r, b: graft.hba1c_percent(r, 6 + 4 * b), RATIOS, u)
    _elementwise(lambda r, b: graft.severe_hypoglycaemia_events(r, 10 * b), RATIOS, u)


def _grade(ratio, baseline_insulin=0.6, baseline_hba1c=8.0, baseline_events=4):
    return graft.igls_grade(
        hba1c_percent=graft.hba1c_percent(ratio, baseline_hba1c),
        severe_events=graft.severe_hypoglycaemia_events(ratio, baseline_events),
        insulin_units_per_kg=graft.insulin_units_per_kg(ratio, baseline_insulin),
        baseline_insulin_units_per_kg=baseline_insulin,
        c_peptide_ng_per_ml=graft.c_peptide_ng_per_ml(ratio),
        failure_c_peptide_ng_per_ml=0.3,
    )


def test_the_igls_grade_is_computed_elementwise_and_never_improves_as_mass_falls():
    """Igls grades on arrays equal the scalar grades, and a larger graft never grades worse."""
    ratios = np.sort(RATIOS)
    grades = _grade(ratios)
    assert list(grades) == [_grade(float(r)) for r in ratios]
    ranks = [graft.GRADES.index(g) for g in grades]
    assert ranks == sorted(ranks, reverse=True)
    assert set(grades) == set(graft.GRADES)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"hba1c_percent": 6.5, "severe_events": 0, "insulin_units_per_kg": 0.0}, "optimal"),
        ({"hba1c_percent": 6.6, "severe_events": 0, "insulin_units_per_kg": 0.0}, "good"),
        ({"hba1c_percent": 6.9, "severe_events": 0, "insulin_units_per_kg": 0.29}, "good"),
        ({"hba1c_percent": 6.9, "severe_events": 0, "insulin_units_per_kg": 0.3}, "marginal"),
        ({"hba1c_percent": 7.0, "severe_events": 0, "insulin_units_per_kg": 0.1}, "marginal"),
        ({"hba1c_percent": 6.0, "severe_events": 1, "insulin_units_per_kg": 0.0}, "marginal"),
    ],
)
def test_igls_grades_follow_the_published_thresholds(values, expected):
    """Optimal: HbA1c ≤ 6.5 %, no severe events, no insulin; good: < 7 %, none, insulin under
    half the baseline; otherwise marginal while C-peptide is at least 0.3 ng/mL [S21]."""
    grade = graft.igls_grade(
        **values,
        baseline_insulin_units_per_kg=0.6,
        c_peptide_ng_per_ml=1.0,
        failure_c_peptide_ng_per_ml=0.3,
    )
    assert grade == expected


def test_c_peptide_below_the_failure_limit_is_failure_and_good_needs_half_a_nanogram():
    """Stimulated C-peptide under 0.3 ng/mL is graft failure [S8]; 0.3-0.5 is at best
    marginal, however good the other values (Igls 2.0) [S21]."""
    common = {
        "hba1c_percent": 6.0,
        "severe_events": 0,
        "insulin_units_per_kg": 0.0,
        "baseline_insulin_units_per_kg": 0.6,
        "failure_c_peptide_ng_per_ml": 0.3,
    }
    assert graft.igls_grade(c_peptide_ng_per_ml=0.29, **common) == "failure"
    assert graft.igls_grade(c_peptide_ng_per_ml=0.4, **common) == "marginal"
    assert graft.igls_grade(c_peptide_ng_per_ml=0.5, **common) == "optimal"


def test_function_rises_with_mass_and_independence_starts_at_the_need():
    """More graft: more C-peptide, less insulin, lower HbA1c, fewer events; off insulin at 1."""
    ratios = np.linspace(0, 1.5, 31)
    assert np.all(np.diff(graft.c_peptide_ng_per_ml(ratios)) > 0)
    assert np.all(np.diff(graft.insulin_units_per_kg(ratios, 0.6)) <= 0)
    assert np.all(np.diff(graft.hba1c_percent(ratios, 8.0)) <= 0)
    assert np.all(np.diff(graft.severe_hypoglycaemia_events(ratios, 5)) <= 0)
    assert list(graft.insulin_independent(np.array([0.99, 1.0]))) == [False, True]
    assert graft.insulin_units_per_kg(1.0, 0.6) == 0


def test_a_thrombosis_costs_graft_and_graft_is_lost_over_years():
    """A thrombosis after an infusion engrafts less; the mass decays, none before infusion."""
    clean = graft.engrafted_ieq_per_kg(8000, 90, False)
    clotted = graft.engrafted_ieq_per_kg(8000, 90, True)
    assert clean == pytest.approx(8000 * 0.9 * P.engraftment_fraction)
    assert clotted == pytest.approx(clean * (1 - P.thrombosis_loss))
    assert graft.surviving_ieq_per_kg(1000.0, -0.1, 0.2) == 0
    assert graft.surviving_ieq_per_kg(1000.0, 2.0, 0.2) == pytest.approx(1000 * np.exp(-0.4))


def test_the_median_need_is_computed_from_the_edmonton_dose():
    """The CALIBRATED median need is the arithmetic of model.calibration on 11,910 IEQ/kg."""
    assert P.median_need_ieq_per_kg == pytest.approx(
        need_for_cumulative_dose(11_910, 2, 0.88, P.need_scale, P.attrition_per_year)
    )
    # Over two equal infusions the need lies half-way between the first and the whole.
    no_spread = need_for_cumulative_dose(12_000, 2, 1.0, 1e-9, 0.0)
    assert no_spread == pytest.approx(9_000, rel=1e-6)
