"""Each relation of the model moves the way its sources say, and stays a probability."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import strategies_model as sm
from isletflow.model import (
    DEFAULT,
    bleeding_probability,
    consequence,
    digest_ieq,
    main_branch,
    management,
    management_steps,
    median_digest_ieq,
    must_pause,
    occurs,
    pressure_rise_mmhg,
    thrombosis_probability,
    trough_status,
    trough_target,
)
from isletflow.model.bleeding import MANAGEMENTS, SEALANTS
from isletflow.model.isolation import SOLUTIONS, solution_index
from isletflow.model.regimen import (
    CIT07,
    EDMONTON,
    REGIMENS,
    TROUGH_STATUSES,
    Regimen,
    induction_agents,
    minutes_before_infusion,
)
from isletflow.model.thrombosis import repeat_infusion_allowed
from isletflow.sampling import stream

# A first, percutaneous procedure with normal platelets and no aspirin; tests vary one input.
PROCEDURE: dict[str, Any] = {
    "procedure_number": 1,
    "platelets_per_ul": 250_000,
    "pressure_rise_mmhg": 4.0,
    "heparin_units_per_kg": 35.0,
    "aspirin": False,
    "sealant": "none",
    "approach": "percutaneous",
}
INFUSION: dict[str, Any] = {
    "packed_cell_volume_ml": 4.0,
    "heparinised": True,
    "track_ablated": True,
    "pressure_rise_mmhg": 4.0,
}


def _bleeding(**change: Any) -> Any:
    return bleeding_probability(**{**PROCEDURE, **change})


def _thrombosis(**change: Any) -> Any:
    return thrombosis_probability(**{**INFUSION, **change})


# -- Isolation ---------------------------------------------------------------------------------


@given(sm.ages, sm.bmis, sm.cold_ischemia_hours, st.floats(0.1, 6))
def test_more_cold_ischaemia_lowers_the_expected_yield(
    age: float, bmi: float, hours: float, more: float
) -> None:
    """Longer cold ischaemia gives a lower median digest, whatever the donor."""
    assert median_digest_ieq(age, bmi, hours + more) < median_digest_ieq(age, bmi, hours)


def test_the_cold_ischaemia_warning_is_true() -> None:
    """A pancreas past the 8 h warning yields less than one at 8 h: the warning's promise."""
    assert median_digest_ieq(45, 27, 9.0) < median_digest_ieq(45, 27, 8.0)


@given(sm.ages, st.floats(1, 30), sm.bmis, sm.cold_ischemia_hours)
def test_an_older_donor_lowers_the_expected_yield(
    age: float, older: float, bmi: float, hours: float
) -> None:
    """An older donor gives a lower median digest (S49's direction)."""
    assert median_digest_ieq(age + older, bmi, hours) < median_digest_ieq(age, bmi, hours)


@given(sm.ages, sm.bmis, st.floats(1, 15), sm.cold_ischemia_hours)
def test_a_heavier_donor_raises_the_expected_yield(
    age: float, bmi: float, heavier: float, hours: float
) -> None:
    """A higher donor BMI gives a higher median digest."""
    assert median_digest_ieq(age, bmi + heavier, hours) > median_digest_ieq(age, bmi, hours)


@pytest.mark.parametrize("solution", SOLUTIONS)
def test_solution_names_and_indices_agree(solution: str) -> None:
    """A solution given by name or by its index gives the same median."""
    index = solution_index(solution)
    assert median_digest_ieq(40, 27, 6, solution) == median_digest_ieq(40, 27, 6, index)


@given(st.floats(1e4, 2e6), sm.uniforms, sm.uniforms)
def test_a_higher_draw_gives_a_bigger_digest(median: float, u: float, v: float) -> None:
    """The digest grows with the draw and is the median at u = ½."""
    low, high = sorted((u, v))
    assert digest_ieq(median, low) <= digest_ieq(median, high)
    assert digest_ieq(median, 0.5) == pytest.approx(median)


# -- Portal pressure ---------------------------------------------------------------------------


@given(sm.volumes_ml, st.floats(0.1, 10), sm.liver_ratios)
def test_more_tissue_raises_the_pressure_rise(volume: float, more: float, liver: float) -> None:
    """More settled tissue gives a higher rise; a larger liver a lower one."""
    assert pressure_rise_mmhg(volume + more, liver) > pressure_rise_mmhg(volume, liver)
    assert pressure_rise_mmhg(volume + more, liver * 1.5) < pressure_rise_mmhg(volume + more, liver)


def test_the_stop_rule_is_an_absolute_limit_a_rise_or_both() -> None:
    """The site chooses the stop rule: the absolute limit, the rise over baseline, or either."""
    assert must_pause(22.0, 10.0, absolute_limit_mmhg=22.0)
    assert not must_pause(21.9, 3.0, absolute_limit_mmhg=22.0)
    assert must_pause(21.9, 3.0, rise_limit_mmhg=18.4)
    assert not must_pause(25.0, 10.0, rise_limit_mmhg=18.4)
    assert must_pause(25.0, 10.0, absolute_limit_mmhg=22.0, rise_limit_mmhg=18.4)
    with pytest.raises(ValueError, match="stop rule"):
        must_pause(25.0, 10.0)


# -- Bleeding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sealant", [s for s in SEALANTS if s != "none"])
def test_sealing_the_track_lowers_the_bleeding_risk(sealant: str) -> None:
    """Every sealant gives a lower bleeding probability than leaving the track open."""
    assert _bleeding(sealant=sealant) < _bleeding(sealant="none")


def test_heparin_at_the_threshold_raises_the_bleeding_risk() -> None:
    """Heparin at or over 45 U/kg raises the risk by Villiger's odds ratio; under it does not."""
    threshold = DEFAULT.bleeding.heparin_threshold_units_per_kg
    assert _bleeding(heparin_units_per_kg=threshold) > _bleeding(heparin_units_per_kg=44.9)
    assert _bleeding(heparin_units_per_kg=70.0) == _bleeding(heparin_units_per_kg=threshold)
    assert _bleeding(heparin_units_per_kg=10.0) == _bleeding(heparin_units_per_kg=44.9)


def test_later_procedures_low_platelets_aspirin_and_pressure_raise_the_risk() -> None:
    """Each of Villiger's risk factors raises the probability over the reference procedure."""
    reference = _bleeding()
    assert reference < _bleeding(procedure_number=2) < _bleeding(procedure_number=3)
    assert _bleeding(procedure_number=4) == _bleeding(procedure_number=3)
    assert _bleeding(platelets_per_ul=100_000) > reference
    assert _bleeding(aspirin=True) > reference
    assert _bleeding(pressure_rise_mmhg=8.0) > reference


@pytest.mark.parametrize("approach", ["open", "laparoscopic"])
def test_surgical_access_bleeds_less_and_ignores_the_sealant(approach: str) -> None:
    """Complications came only after percutaneous access (S14); a sealant changes nothing there."""
    assert _bleeding(approach=approach) < _bleeding(approach="percutaneous")
    assert _bleeding(approach=approach, sealant="coils") == _bleeding(approach=approach)


def test_the_reference_procedure_has_the_calibrated_base_risk() -> None:
    """With every risk factor at its reference, the probability is the table's base risk."""
    reference = _bleeding(pressure_rise_mmhg=0.0)
    assert reference == pytest.approx(DEFAULT.bleeding.base_risk)


@given(
    sm.rows(
        sm.procedure_numbers,
        sm.platelets_per_ul,
        sm.pressures_mmhg,
        sm.heparin_units_per_kg,
        sm.flags,
        sm.sealants,
        sm.approaches,
    )
)
def test_bleeding_is_a_probability_for_any_inputs_in_range(rows: list[tuple[Any, ...]]) -> None:
    """The bleeding probability lies in [0, 1] for every procedure in range."""
    for row in rows:
        p = bleeding_probability(**dict(zip(PROCEDURE, row, strict=True)))
        assert 0.0 <= p <= 1.0


# -- Bleed management --------------------------------------------------------------------------


def test_every_management_is_reachable_and_in_order_of_the_draw() -> None:
    """Low draws mean observation, high ones surgery; each management has its share."""
    p = DEFAULT.bleed_management
    draws = np.linspace(0, 1, 10_001, endpoint=False)
    chosen = management(draws)
    shares = [p.observation_share, p.transfusion_share, p.embolisation_share, p.surgery_share]
    counts = np.bincount(chosen, minlength=len(MANAGEMENTS)) / len(draws)
    np.testing.assert_allclose(counts, shares, atol=1e-3)
    assert np.all(np.diff(chosen) >= 0)


@pytest.mark.parametrize("kind", MANAGEMENTS)
def test_a_management_is_steps_with_times_ending_in_observation(kind: str) -> None:
    """Each management is its intervention (if any) and then observation, back to back."""
    steps = management_steps(kind)
    assert steps[0].kind == kind
    assert steps[-1].kind == "observation"
    for before, after in itertools.pairwise(steps):
        assert after.after == before.after + before.duration
    assert all(step.duration.total_seconds() > 0 for step in steps)


# -- Thrombosis --------------------------------------------------------------------------------


def test_more_tissue_raises_the_thrombosis_risk() -> None:
    """A product at or over Kawahara's 5 mL raises the thrombosis probability."""
    limit = DEFAULT.thrombosis.volume_limit_ml
    assert _thrombosis(packed_cell_volume_ml=limit) > _thrombosis(packed_cell_volume_ml=4.9)


def test_each_missing_measure_raises_the_thrombosis_risk() -> None:
    """No heparin, an unablated tract: each raises the risk over Kawahara's full bundle."""
    bundle = _thrombosis()
    assert bundle == pytest.approx(DEFAULT.thrombosis.base_risk)
    assert _thrombosis(heparinised=False) > bundle
    assert _thrombosis(track_ablated=False) > bundle


def test_without_any_measure_the_risk_is_kawaharas_earlier_rate() -> None:
    """All three measures missing gives the earlier procedures' rate (10/167, Haldane ½)."""
    none = _thrombosis(packed_cell_volume_ml=8.0, heparinised=False, track_ablated=False)
    assert none == pytest.approx(10.5 / (10.5 + 157.5))


def test_a_rise_over_the_cut_point_adds_risk_only_when_a_site_sets_it() -> None:
    """The pressure term is off by default (OR 1) and raises the risk once a site sets it."""
    high = DEFAULT.thrombosis.rise_cut_point_mmhg
    assert _thrombosis(pressure_rise_mmhg=high) == _thrombosis()
    site = DEFAULT.overridden({"thrombosis": {"high_rise_or": 3.0}}).thrombosis
    assert _thrombosis(pressure_rise_mmhg=high, p=site) > _thrombosis(p=site)


@given(sm.rows(sm.volumes_ml, sm.flags, sm.flags, sm.pressures_mmhg))
def test_thrombosis_is_a_probability_for_any_inputs_in_range(rows: list[tuple[Any, ...]]) -> None:
    """The thrombosis probability lies in [0, 1] for every infusion in range."""
    for row in rows:
        p = thrombosis_probability(**dict(zip(INFUSION, row, strict=True)))
        assert 0.0 <= p <= 1.0


def test_a_main_branch_thrombosis_bars_a_repeat_infusion() -> None:
    """Any thrombosis is anticoagulated; only a main-branch one bars another infusion (S2)."""
    main, branch = consequence(True), consequence(False)
    assert main.anticoagulate
    assert branch.anticoagulate
    assert not main.repeat_infusion_allowed
    assert branch.repeat_infusion_allowed
    assert not repeat_infusion_allowed(True)
    assert repeat_infusion_allowed(False)
    share = DEFAULT.thrombosis.main_branch_share
    assert main_branch(share / 2)
    assert not main_branch(share)


# -- Regimen -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (0.0, "below"),
        (2.9, "below"),
        (3.0, "within"),
        (6.0, "within"),
        (6.1, "above"),
        (200, "above"),
    ],
)
def test_a_tacrolimus_trough_is_flagged_outside_3_to_6(level: float, expected: str) -> None:
    """Tacrolimus 3–6 ng/mL (S10): 0 and far above are flagged, the ends are within."""
    status = trough_status(level, *trough_target("tacrolimus", 1.0))
    assert TROUGH_STATUSES[status + 1] == expected


def test_the_sirolimus_target_drops_after_three_months() -> None:
    """Sirolimus 12–15 ng/mL for 3 months, then 7–10 (S10)."""
    assert trough_target("sirolimus", 2.9) == (12, 15)
    assert trough_target("sirolimus", 3.0) == (7, 10)
    assert trough_status(13.0, *trough_target("sirolimus", 6.0)) == 1
    with pytest.raises(ValueError, match="no trough target"):
        trough_target("mycophenolate", 1.0)


@pytest.mark.parametrize("regimen", REGIMENS.values(), ids=list(REGIMENS))
def test_every_maintenance_drug_of_a_regimen_has_a_target(regimen: Regimen) -> None:
    """Each regimen's maintenance troughs can be judged: every drug has a (low, high) target."""
    for drug in regimen.maintenance:
        low, high = trough_target(drug, 0.0)
        assert 0 < low < high


def test_induction_follows_the_regimen_and_the_label() -> None:
    """CIT-07 gives ATG first and basiliximab later; anti-IL-2R goes 120 min before (S1)."""
    assert induction_agents(CIT07, 1) == ("rabbit ATG", "etanercept")
    assert induction_agents(CIT07, 2) == ("basiliximab",)
    assert induction_agents(EDMONTON, 3) == ("daclizumab",)
    assert minutes_before_infusion("basiliximab") == 120
    assert minutes_before_infusion("rabbit ATG") is None


# -- Draws that respect the choices ------------------------------------------------------------


def _cohort_bleeds(sealant: str, seed: int) -> Any:
    """Bleeds in 2,000 procedures, each drawn from its own case's ``bleeding`` stream."""
    draws = np.array([stream(seed, index, "bleeding").random() for index in range(2_000)])
    return occurs(_bleeding(heparin_units_per_kg=70.0, sealant=sealant), draws)


def test_the_same_seed_gives_the_same_events() -> None:
    """Realising the risks twice from the same seed gives the same events, case by case."""
    assert np.array_equal(_cohort_bleeds("none", 7), _cohort_bleeds("none", 7))
    assert not np.array_equal(_cohort_bleeds("none", 7), _cohort_bleeds("none", 8))


def test_sealing_changes_the_odds_not_the_draws() -> None:
    """Sealing only removes bleeds: the cases that bleed when sealed also bleed unsealed."""
    sealed, open_track = _cohort_bleeds("coils", 7), _cohort_bleeds("none", 7)
    assert np.all(sealed <= open_track)
    assert sealed.sum() < open_track.sum()
