"""Complications have consequences, and warnings follow the model: steps with times, guards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import isletflow as fl
from builders import case_at, drive, new_case
from isletflow.model.bleeding import MANAGEMENTS
from isletflow.patient import bleed_management
from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.simulation import simulate
from isletflow.timeline import Warned
from strategies_sim import standard


def _forced(**chances: float) -> Scenario:
    data = standard()
    data["complications"] = chances
    return Scenario.from_mapping(data)


def _warning_codes(case: fl.Case, action: str) -> list[str]:
    return [
        e.warning.subcode or e.warning.code
        for e in case.timeline
        if isinstance(e, Warned) and e.action == action
    ]


def test_a_bleed_is_managed_with_the_models_steps_at_their_times():
    """Each forced bleed is followed by its management's steps, recorded at the model's times."""
    scenario = _forced(bleeding=1, portal_vein_thrombosis=0)
    sampler = PlanSampler(scenario)
    kinds = set()
    for index in range(40):
        case = simulate(scenario, seed=4, index=index, sampler=sampler)
        (bleed,) = case.record.complications
        steps = bleed_management(sampler.sample(4, index))
        recorded = [(t.at - bleed.at, t.treatment) for t in case.record.treatments]
        assert recorded == [(s.after, s.kind) for s in steps]
        assert case.state == "completed"
        kinds.add(steps[0].kind)
    assert kinds <= set(MANAGEMENTS)
    assert {"transfusion", "observation"} <= kinds


def test_a_thrombosis_is_anticoagulated_when_found():
    """A thrombosis found on the day-1 Doppler is anticoagulated at once."""
    case = simulate(_forced(bleeding=0, portal_vein_thrombosis=1), seed=2)
    (thrombosis,) = case.record.complications
    (treatment,) = case.record.treatments
    assert (treatment.at, treatment.treatment) == (thrombosis.at, "anticoagulation")


def test_follow_up_waits_for_every_complication_to_be_treated():
    """start_follow_up is refused while a recorded thrombosis is not anticoagulated."""
    case = drive(new_case(), "immunosuppress.maintenance")
    case.act("record_complication", after="1d", kind="portal_vein_thrombosis", extent="peripheral")
    case.act("record_trough", after="2d", drug="tacrolimus", ng_per_ml=4.5)
    refused = case.act("start_follow_up")
    assert [f.code for f in refused.failures] == ["complication_untreated"]
    assert "anticoagulation" in refused.failures[0].message
    case.act("treat_complication", treatment="anticoagulation")
    assert case.act("start_follow_up").accepted


def test_a_bleed_observed_counts_as_managed():
    """Observation alone is a bleed's management: follow-up may start after it."""
    case = drive(new_case(), "immunosuppress.maintenance")
    case.act("record_complication", kind="bleeding")
    case.act("record_trough", after="3d", drug="tacrolimus", ng_per_ml=4.5)
    assert not case.act("start_follow_up").accepted
    case.act("treat_complication", treatment="observation")
    assert case.act("start_follow_up").accepted


def test_the_record_says_whether_a_main_branch_thrombosis_occurred():
    """main_branch_thrombosis reads the typed extent: a peripheral one does not count."""
    case = case_at("immunosuppress.maintenance")
    case.act("record_complication", kind="portal_vein_thrombosis", extent="peripheral")
    assert not case.record.main_branch_thrombosis
    case.act("record_complication", kind="portal_vein_thrombosis", extent="main_branch")
    assert case.record.main_branch_thrombosis


def test_an_extent_belongs_to_a_thrombosis_only():
    """A bleed with an extent is bad input naming the field; nothing is recorded."""
    case = case_at("immunosuppress.maintenance")
    with pytest.raises(fl.InvalidInput, match="extent is given only"):
        case.act("record_complication", kind="bleeding", extent="main_branch")
    assert case.record.complications == ()


@pytest.mark.parametrize(("units", "warned"), [(70, True), (45, True), (44.9, False)])
def test_heparin_at_or_over_45_units_warns_at_the_infusion(units: float, warned: bool):
    """Villiger's threshold [S47]: at or over 45 U/kg start_infusion warns, and still starts."""
    case = drive(new_case(), "infuse.access")
    case.act("add_heparin", units_per_kg=units)
    case.act("record_portal_pressure", mmhg=13)
    result = case.act("start_infusion", after="20min")
    assert result.accepted
    codes = [w.code for w in result.warnings]
    assert codes == (["heparin_bleeding_risk"] if warned else [])
    if warned:
        assert "9.8" in result.warnings[0].message


@pytest.mark.parametrize(
    ("drug", "level", "expected"),
    [
        ("tacrolimus", 0.0, ["trough_below_target"]),
        ("tacrolimus", 4.5, []),
        ("tacrolimus", 9.0, ["trough_above_target"]),
        ("sirolimus", 13.0, []),  # 12-15 ng/mL in the first 3 months [S10]
        ("sirolimus", 8.0, ["trough_below_target"]),
    ],
)
def test_a_trough_off_its_target_is_flagged(drug: str, level: float, expected: list[str]):
    """A trough of 0, or outside the drug's target at that time [S10], warns at follow-up."""
    case = drive(new_case(), "immunosuppress.maintenance")
    case.act("record_trough", after="3d", drug=drug, ng_per_ml=level)
    result = case.act("start_follow_up", after="4d")
    assert result.accepted
    assert [w.subcode for w in result.warnings] == expected
    assert _warning_codes(case, "start_follow_up") == expected


def test_the_simulated_default_dose_warns_in_the_timeline():
    """The standard case adds the protocol's 70 U/kg: its timeline carries the warning."""
    case = simulate(Scenario.from_mapping(standard()), seed=1)
    assert _warning_codes(case, "start_infusion") == ["heparin_bleeding_risk"]


def _infusing(protocol: dict[str, Any]) -> fl.Case:
    case = new_case(protocol=fl.Protocol.from_mapping(protocol))
    case = drive(case, "infuse.access")
    case.act("add_heparin", units_per_kg=35)
    case.act("record_portal_pressure", mmhg=10)
    assert case.act("start_infusion", after="20min").accepted
    return case


def test_a_rise_over_the_baseline_pauses_the_infusion():
    """With a rise limit, a reading 8 mmHg over a baseline of 10 pauses under the 22 mmHg limit."""
    case = _infusing({"portal_pressure_stop_rise_mmhg": 8})
    case.act("record_portal_pressure", after="5min", mmhg=17.9)
    assert case.state == "infuse.infusing"
    case.act("record_portal_pressure", after="5min", mmhg=18)
    assert case.state == "infuse.paused"
    refused = case.act("resume_infusion")
    assert not refused.accepted
    assert "rise of 8 mmHg" in refused.failures[0].message
    case.act("record_portal_pressure", after="5min", mmhg=15)
    assert case.act("resume_infusion").accepted


def test_the_rise_rule_alone_replaces_the_absolute_limit():
    """No absolute limit: 25 mmHg from a baseline of 10 goes on under an 18.4 mmHg rise limit."""
    case = _infusing({"portal_pressure_stop_mmhg": None, "portal_pressure_stop_rise_mmhg": 18.4})
    case.act("record_portal_pressure", after="5min", mmhg=25)
    assert case.state == "infuse.infusing"
    case.act("record_portal_pressure", after="5min", mmhg=28.4)
    assert case.state == "infuse.paused"


def test_a_protocol_needs_some_stop_rule():
    """Both limits null is bad input that names the rule."""
    with pytest.raises(fl.InvalidInput, match="must not both be null"):
        fl.Protocol.from_mapping({"portal_pressure_stop_mmhg": None})


def test_the_fhir_condition_names_a_thrombosis_extent():
    """The exported Condition of a thrombosis says its extent, as the record types it."""
    from isletflow.export.fhir import case_bundle

    case = case_at("immunosuppress.maintenance")
    case.act("record_complication", kind="portal_vein_thrombosis", extent="main_branch")
    bundle = case_bundle(case)
    (condition,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
    ]
    assert condition["note"] == [{"text": "Extent: main branch."}]


def _trainee_until(scenario: Scenario, seed: int, index: int, state: str) -> tuple[fl.Case, Any]:
    """A trainee's case of ``scenario`` walked along the expert's moves until ``state``."""
    from isletflow.training import ScenarioLab, moves_of
    from isletflow.training.lab import act_with_lab

    lab = ScenarioLab.of(scenario, seed, index)
    expert = simulate(scenario, seed=seed, index=index)
    case = fl.Case.new(
        expert.donor, expert.recipient, expert.approach, expert.protocol,
        fl.SimulatedClock(expert.timeline[0].at),
    )  # fmt: skip
    for move in moves_of(expert.timeline):
        if case.state == state or move.action is None:
            break
        act_with_lab(case, lab, move.action, move.after, move.choices)
    return case, lab


def test_a_trainees_bleed_is_drawn_from_the_sealant_the_trainee_chose():
    """Closing the access bleeds for the trainee as the model says for the chosen sealant."""
    from isletflow.patient import bleeds_after
    from isletflow.training.lab import act_with_lab

    data = standard()  # the model's bleeding risk; an open track allowed
    data["complications"] = {"portal_vein_thrombosis": 0}
    data["protocol"] = {"require_track_sealing": False}
    scenario = Scenario.from_mapping(data)
    outcomes = set()
    for index in range(30):
        for sealant in ("coils", None):
            case, lab = _trainee_until(scenario, 3, index, "infuse.hemostasis")
            if case.state != "infuse.hemostasis" or case.record.complications:
                continue
            expected = bleeds_after(lab.plan, case.record, sealant)
            choices = {"track_sealant": sealant} if sealant else {}
            assert act_with_lab(case, lab, "seal_access", "15min", choices).accepted
            bled = [c.kind for c in case.record.complications] == ["bleeding"]
            assert bled == expected
            outcomes.add((sealant, bled))
    assert (None, True) in outcomes
    assert ("coils", False) in outcomes


def test_a_trainees_doppler_finds_the_thrombosis_the_model_draws():
    """The trainee's first move after day 1 comes after the Doppler's finding, at its time."""
    from isletflow.patient import DOPPLER
    from isletflow.training.lab import act_with_lab

    scenario = _forced(bleeding=0, portal_vein_thrombosis=1)
    case, lab = _trainee_until(scenario, 2, 0, "immunosuppress.maintenance")
    sealed = case.now
    assert act_with_lab(case, lab, "record_trough", "3d", {"drug": "tacrolimus"}).accepted
    (found,) = case.record.complications
    assert (found.kind, found.at) == ("portal_vein_thrombosis", sealed + DOPPLER)
    assert case.record.troughs[0].at == sealed + timedelta(days=3)
    assert not act_with_lab(case, lab, "start_follow_up", "4d", {}).accepted  # not treated
