"""Complications are drawn where they apply, from the model with the case's own values."""

from __future__ import annotations

from typing import Any

import pytest

from isletflow.case import Case
from isletflow.model.bleeding import SEALANTS, bleeding_probability
from isletflow.model.parameters import DEFAULT
from isletflow.model.thrombosis import ABLATING_SEALANTS
from isletflow.patient import bleeding_risk, pressure_rise, thrombosis_risk
from isletflow.record import EXTENTS
from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.simulation import simulate
from strategies_sim import standard

CASES = 600


def _scenario(**changes: Any) -> Scenario:
    """The standard case with the model's complications (its fixed zero chances left out)."""
    data = standard()
    del data["complications"]
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return Scenario.from_mapping(data)


def _with(kind: str, scenario: Scenario, n: int = CASES) -> set[int]:
    sampler = PlanSampler(scenario)
    found = set()
    for index in range(n):
        case = simulate(scenario, seed=11, index=index, sampler=sampler)
        if any(c.kind == kind for c in case.record.complications):
            found.add(index)
    return found


def _complications(case: Case, kind: str) -> list[Any]:
    return [c for c in case.record.complications if c.kind == kind]


def test_a_fixed_chance_replaces_the_model():
    """complications.bleeding: 1 makes every procedure bleed; 0 none (the examples' forcing)."""
    always = _scenario(complications={"bleeding": 1, "portal_vein_thrombosis": 1})
    case = simulate(always, seed=3)
    assert len(_complications(case, "bleeding")) == 1
    assert len(_complications(case, "portal_vein_thrombosis")) == 1
    never = Scenario.from_mapping(standard())
    assert _with("bleeding", never, 50) == set()


def test_a_heparin_dose_under_the_threshold_bleeds_in_fewer_of_the_same_cases():
    """35 U/kg bleeds in a subset of the cases that bleed at 70 U/kg, and in clearly fewer."""
    high = _with("bleeding", _scenario(protocol={"heparin_units_per_kg": 70}))
    low = _with("bleeding", _scenario(protocol={"heparin_units_per_kg": 35}))
    assert low <= high
    assert len(low) < len(high) / 2


def test_more_tissue_gives_a_thrombosis_to_more_of_the_same_cases():
    """A product of 8 mL (over Kawahara's 5 mL) thromboses in a superset of 3 mL's cases."""
    small = _with("portal_vein_thrombosis", _scenario(preparation={"tissue_volume_ml": 3}))
    large = _with("portal_vein_thrombosis", _scenario(preparation={"tissue_volume_ml": 8}))
    assert small <= large
    assert len(large) > len(small)


def test_a_thrombosis_records_its_extent_from_its_own_draw():
    """The Doppler's finding names the extent as a typed field: main branch or peripheral."""
    forced = _scenario(complications={"portal_vein_thrombosis": 1})
    extents = set()
    for index in range(200):
        case = simulate(forced, seed=5, index=index)
        (found,) = _complications(case, "portal_vein_thrombosis")
        assert found.detail == "found on portal Doppler day 1"
        extents.add(found.extent)
        assert case.record.main_branch_thrombosis == (found.extent == "main_branch")
    assert extents == set(EXTENTS)


def test_the_seed_reproduces_the_complications():
    """The same seed draws the same complications, case by case."""
    scenario = _scenario(protocol={"heparin_units_per_kg": 70})
    assert _with("bleeding", scenario, 100) == _with("bleeding", scenario, 100)


def test_the_bleeding_risk_is_the_models_with_the_cases_values():
    """A planned case's risk is the model's at its rise, heparin, sealant and approach."""
    plan = PlanSampler(_scenario()).sample(1, 0)
    expected = bleeding_probability(
        procedure_number=1,
        platelets_per_ul=DEFAULT.bleeding.platelet_threshold_per_ul,
        pressure_rise_mmhg=4.0,
        heparin_units_per_kg=70.0,
        aspirin=False,
        sealant="gelfoam",
    )
    got = bleeding_risk(plan, rise_mmhg=4.0, heparin_units_per_kg=70.0, sealant="gelfoam")
    assert got == pytest.approx(expected)
    assert bleeding_risk(plan, rise_mmhg=4.0, heparin_units_per_kg=70.0, sealant=None) > 3 * got


def test_an_unsealed_track_raises_the_thrombosis_risk():
    """Leaving the track open is one of Kawahara's measures missing: the risk rises."""
    plan = PlanSampler(_scenario()).sample(1, 0)
    sealed = thrombosis_risk(plan, rise_mmhg=0.0, fraction_delivered=1.0, sealant="coils")
    open_ = thrombosis_risk(plan, rise_mmhg=0.0, fraction_delivered=1.0, sealant=None)
    assert open_ > 2 * sealed


def test_only_coils_and_collagen_paste_ablate_the_track():
    """Gelatin foam and glue plug the track but do not ablate it: the thrombosis risk stays."""
    plan = PlanSampler(_scenario()).sample(1, 0)

    def risk(sealant: str | None) -> float:
        return thrombosis_risk(plan, rise_mmhg=0.0, fraction_delivered=1.0, sealant=sealant)

    assert risk("coils") == risk("collagen_paste") < risk("gelfoam") == risk("glue") == risk(None)
    assert {s for s in SEALANTS if risk(s) < risk(None)} == set(ABLATING_SEALANTS)


def test_the_pressure_rise_is_the_peak_during_infusion_over_the_last_baseline():
    """Readings before the infusion set the baseline; the highest one during it, the rise."""
    readings = [(12.0, "infuse.access"), (13.0, "infuse.access"), (19.5, "infuse.infusing")]
    readings += [(21.0, "infuse.paused"), (16.0, "infuse.infusing")]
    assert pressure_rise(readings) == pytest.approx(8.0)
    assert pressure_rise([(13.0, "infuse.access")]) == 0.0


def test_low_platelets_and_aspirin_raise_the_bleeding_risk():
    """The recipient's platelets under 150,000 per µL and aspirin raise the risk [S47]."""

    def risk(**recipient: Any) -> float:
        plan = PlanSampler(_scenario(recipient=recipient)).sample(1, 0)
        return bleeding_risk(plan, rise_mmhg=4.0, heparin_units_per_kg=35.0, sealant="gelfoam")

    reference = risk()
    assert risk(platelets_per_ul=250_000) == pytest.approx(reference)
    assert risk(platelets_per_ul=120_000) > 3 * reference
    assert risk(aspirin=True) > 2 * reference


def test_a_larger_liver_lowers_the_pressure_rise():
    """A liver twice the reference's halves the rise the same product causes [S15, S45]."""
    peaks = {}
    for ratio in (1.0, 2.0):
        scenario = _scenario(portal_pressure={"liver_volume_ratio": ratio, "noise_sd_mmhg": 0})
        case = simulate(scenario, seed=1)
        rise = pressure_rise((r.mmhg, r.state) for r in case.record.portal_pressures)
        peaks[ratio] = rise
    assert peaks[2.0] == pytest.approx(peaks[1.0] / 2, abs=0.1)


def test_an_open_track_is_refused_unless_the_protocol_allows_it():
    """track_sealant none: the policy leaves the track open where the protocol allows it."""
    refused = simulate(_scenario(treatment={"track_sealant": "none"}), seed=1)
    assert refused.outcome is not None
    assert refused.outcome.code == "track_not_sealed"
    allowed = _scenario(
        treatment={"track_sealant": "none"}, protocol={"require_track_sealing": False}
    )
    case = simulate(allowed, seed=1)
    assert case.state == "completed"
    assert case.record.track_sealant is None
