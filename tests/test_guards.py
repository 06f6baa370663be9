"""Every guard at its boundary: just inside and just outside each limit, for each approach."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

import isletflow as fl
from builders import (
    ACCESS,
    APPROACHES,
    GOOD_PREPARATION,
    T0,
    case_at,
    donor,
    infusion_ready,
    new_case,
    recipient,
    sealant,
)
from isletflow.guards import GUARDS, Facts
from isletflow.record import CaseRecord

SECOND = timedelta(seconds=1)
approach_param = pytest.mark.parametrize("approach", APPROACHES)


def failure(result: fl.ActionResult | fl.Check, code: str) -> fl.GuardResult:
    """The one failure with ``code`` (there must be exactly one)."""
    found = [f for f in result.failures if f.code == code]
    assert len(found) == 1, result.failures
    return found[0]


def assert_sentence(message: str, *values: str) -> None:
    """A sentence a trainee can read, naming the given values."""
    assert re.match(r"^[A-Z].*[.]$", message, re.DOTALL), message
    for value in values:
        assert value in message, f"{value!r} not in {message!r}"


def result_of(check: fl.Check, guard: str) -> list[fl.GuardResult]:
    return [r for r in check.results if r.guard == guard]


# -- Donor and procurement --------------------------------------------------------------------


@approach_param
@pytest.mark.parametrize("age", [15, 65])
def test_donor_age_at_the_limits_is_accepted(approach: str, age: int) -> None:
    """A donor aged exactly 15 or 65 y passes the age guard and the case starts isolation."""
    case = new_case(approach, age_years=age)
    (verdict,) = result_of(case.check("start_isolation"), "donor_age")
    assert verdict.passed
    assert case.act("start_isolation", after="1h").accepted


@approach_param
@pytest.mark.parametrize("age", [14, 66])
def test_donor_age_just_outside_is_refused(approach: str, age: int) -> None:
    """A donor aged 14 or 66 y is refused donor_ineligible naming the age and the range."""
    case = new_case(approach, age_years=age)
    out = case.act("start_isolation", after="1h")
    assert not out.accepted
    assert case.state == "harvest.procured"
    fail = failure(out, "donor_ineligible")
    assert (fail.subcode, fail.observed, fail.limit) == ("donor_age_out_of_range", age, "15-65")
    assert_sentence(fail.message, f"{age} y", "15–65 y")


@approach_param
def test_donation_after_cardiac_death_is_refused_unless_the_protocol_accepts_it(
    approach: str,
) -> None:
    """DCD is refused by default (subcode donation_after_cardiac_death) and allowed by protocol."""
    out = new_case(approach, donation="cardiac_death").act("start_isolation", after="1h")
    fail = failure(out, "donor_ineligible")
    assert fail.subcode == "donation_after_cardiac_death"
    assert fail.observed == "cardiac_death"
    assert_sentence(fail.message, "cardiac death")
    lenient = fl.Protocol(accept_donation_after_cardiac_death=True)
    case = new_case(approach, protocol=lenient, donation="cardiac_death")
    assert case.act("start_isolation", after="1h").accepted


@approach_param
@pytest.mark.parametrize(
    ("exclusion", "words"),
    [
        ("diabetes_history", "diabetes"),
        ("sepsis", "sepsis"),
        ("malignancy", "malignancy"),
        ("transmissible_infection", "transmissible infection"),
    ],
)
def test_each_donor_exclusion_refuses_with_its_own_subcode(
    approach: str, exclusion: str, words: str
) -> None:
    """Each exclusion (diabetes, sepsis, malignancy, infection) refuses with its subcode."""
    out = new_case(approach, **{exclusion: True}).act("start_isolation", after="1h")
    assert not out.accepted
    (fail,) = out.failures
    assert (fail.code, fail.subcode, fail.observed) == ("donor_ineligible", exclusion, True)
    assert_sentence(fail.message, words)


@approach_param
@pytest.mark.parametrize("solution", ["UW", "HTK", "UW+PFC", "HTK+PFC"])
def test_accepted_preservation_solutions_pass(approach: str, solution: str) -> None:
    """UW, HTK and either with perfluorocarbon are accepted [S5a]."""
    case = new_case(approach, preservation_solution=solution)
    (verdict,) = result_of(case.check("start_isolation"), "preservation_accepted")
    assert verdict.passed


@approach_param
def test_other_preservation_solution_is_refused(approach: str) -> None:
    """A solution outside the accepted list is refused preservation_unaccepted, naming it."""
    out = new_case(approach, preservation_solution="Celsior").act("start_isolation")
    fail = failure(out, "preservation_unaccepted")
    assert fail.observed == "Celsior"
    assert fail.limit == ("UW", "HTK", "UW+PFC", "HTK+PFC")
    assert_sentence(fail.message, "Celsior", "UW, HTK")


@approach_param
def test_every_failing_donor_guard_is_reported_together(approach: str) -> None:
    """An old DCD septic donor in saline gets one refusal listing all four failures."""
    case = new_case(
        approach, age_years=70, donation="cardiac_death", sepsis=True, preservation_solution="NaCl"
    )
    out = case.act("start_isolation", after="2h")
    assert {(f.code, f.subcode) for f in out.failures} == {
        ("donor_ineligible", "donor_age_out_of_range"),
        ("donor_ineligible", "donation_after_cardiac_death"),
        ("donor_ineligible", "sepsis"),
        ("preservation_unaccepted", None),
    }
    assert case.timeline[-1].kind == "refused"
    assert case.timeline[-1].failures == out.failures  # type: ignore[union-attr]


@approach_param
def test_cold_ischemia_of_exactly_12_h_is_accepted(approach: str) -> None:
    """Isolation starting exactly 12 h after cross-clamp passes, with no time left."""
    case = new_case(approach)
    case.advance(timedelta(hours=12))
    (verdict,) = result_of(case.check("start_isolation"), "cold_ischemia_within_limit")
    assert verdict.passed
    assert verdict.time_left == timedelta(0)
    out = case.act("start_isolation")
    assert out.accepted
    assert case.state == "harvest.digesting"


@approach_param
def test_cold_ischemia_past_12_h_fires_the_deadline_before_the_guard(approach: str) -> None:
    """At 12 h + 1 s the deadline has aborted the case; start_isolation is not_allowed."""
    case = new_case(approach)
    out = case.act("start_isolation", after=timedelta(hours=12) + SECOND)
    assert not out.accepted
    assert failure(out, "not_allowed")
    assert case.check("start_isolation").failures[0].code == "not_allowed"
    assert case.outcome == fl.Outcome("aborted", "cold_ischemia_exceeded", T0 + timedelta(hours=12))


def test_cold_ischemia_guard_itself_fails_one_second_past_the_limit() -> None:
    """The guard (unreachable through act, since the deadline fires first) fails at 12 h + 1 s."""
    case = new_case()
    facts = Facts(
        case.donor, case.recipient, case.approach, case.protocol, CaseRecord(),
        "harvest.procured", T0 + timedelta(hours=12) + SECOND, None,
    )  # fmt: skip
    guard = GUARDS["cold_ischemia_within_limit"]
    assert not guard.holds(facts)
    (verdict,) = guard.explain(facts)
    assert not verdict.passed
    assert verdict.code == "cold_ischemia_exceeded"
    assert verdict.time_left == -SECOND
    assert_sentence(verdict.message, "12 h", "over", "by 1 s")


@approach_param
@pytest.mark.parametrize(("after", "warned"), [(timedelta(hours=8), False),
                                               (timedelta(hours=8) + SECOND, True)])  # fmt: skip
def test_cold_ischemia_above_8_h_is_a_warning_not_a_refusal(
    approach: str, after: timedelta, warned: bool
) -> None:
    """Above the 8 h target the step is accepted and a warning recorded; at 8 h none is."""
    case = new_case(approach)
    out = case.act("start_isolation", after=after)
    assert out.accepted
    assert case.state == "harvest.digesting"
    codes = [w.code for w in out.warnings]
    assert codes == (["cold_ischemia_above_target"] if warned else [])
    kinds = [e.kind for e in case.timeline]
    assert kinds.count("warned") == int(warned)
    if warned:
        assert_sentence(out.warnings[0].message, "8 h", "quality target")


# -- Isolation and purification ---------------------------------------------------------------


@approach_param
def test_digest_must_be_recorded_before_finishing_digestion(approach: str) -> None:
    """finish_digestion without digest_ieq is refused missing_data; with it (even 0) accepted."""
    case = case_at("harvest.digesting", approach)
    out = case.act("finish_digestion", after="4h")
    fail = failure(out, "missing_data")
    assert_sentence(fail.message, "digest_ieq")
    assert case.state == "harvest.digesting"
    assert case.act("finish_digestion", digest_ieq=0).accepted
    assert case.record.digest_ieq == 0


@approach_param
@pytest.mark.parametrize(("data", "ok"), [({}, False), ({"purified_ieq": 0}, False),
                                          ({"purified_ieq": 1}, True)])  # fmt: skip
def test_culture_needs_a_purified_yield_above_zero(
    approach: str, data: dict[str, Any], ok: bool
) -> None:
    """start_culture is refused no_yield with no yield or 0 IEQ, accepted from 1 IEQ."""
    case = case_at("purify.gradient", approach)
    out = case.act("start_culture", after="5h", **data)
    assert out.accepted is ok
    if not ok:
        fail = failure(out, "no_yield")
        assert_sentence(fail.message, "purified")
    else:
        assert case.record.purified_ieq == 1


@approach_param
def test_culture_window_of_exactly_72_h_is_accepted(approach: str) -> None:
    """submit_for_release exactly 72 h after the end of isolation passes the culture guard."""
    case = case_at("purify.culture", approach)
    ended = case.record.isolation_ended_at
    assert ended is not None
    out = case.act("submit_for_release", after="72h")
    assert out.accepted
    assert case.now - ended == timedelta(hours=72)


def test_culture_window_guard_fails_one_second_past_72_h() -> None:
    """The culture guard (behind its deadline) fails at 72 h + 1 s, naming the overrun."""
    case = case_at("purify.culture")
    facts = Facts(case.donor, case.recipient, case.approach, case.protocol, case.record,
                  case.state, case.now + timedelta(hours=72) + SECOND, None)  # fmt: skip
    guard = GUARDS["culture_within_window"]
    assert not guard.holds(facts)
    (verdict,) = guard.explain(facts)
    assert (verdict.passed, verdict.code) == (False, "culture_window_exceeded")
    assert verdict.observed == timedelta(hours=72) + SECOND
    assert_sentence(verdict.message, "3 d", "over")


# Each release test: (field, value just inside, value just outside, subcode, text in message).
# A 70 kg recipient: 350,000 IEQ is exactly 5,000 IEQ/kg, 349,930 IEQ is 4,999 IEQ/kg.
RELEASE_LIMITS = [
    ("ieq", 350_000, 349_930, "dose_below_minimum", "4,999 IEQ/kg"),
    ("tissue_volume_ml", 10.0, 10.01, "tissue_volume_above_limit", "10.01 mL"),
    ("purity_percent", 30.0, 29.99, "purity_below_minimum", "29.99 %"),
    ("viability_percent", 70.0, 69.99, "viability_below_minimum", "69.99 %"),
    ("endotoxin_eu_per_kg", 5.0, 5.01, "endotoxin_above_limit", "5.01 EU/kg"),
    ("gram_stain_positive", False, True, "gram_stain_positive", "organisms"),
    ("stimulation_index", 1.01, 1.0, "stimulation_index_below_minimum", "index 1 must be above 1"),
    ("labelled_recipient_id", "R-001", "R-002", "identity_mismatch", "R-002"),
]


def _release(approach: str, **changes: Any) -> tuple[fl.Case, fl.ActionResult]:
    case = case_at("purify.release_testing", approach)
    case.act("record_release_tests", **{**GOOD_PREPARATION, **changes})
    return case, case.act("release")


@approach_param
@pytest.mark.parametrize(("field", "inside", "outside", "subcode", "text"), RELEASE_LIMITS)
def test_each_release_test_at_its_limit(
    approach: str, field: str, inside: Any, outside: Any, subcode: str, text: str
) -> None:
    """Each release test passes just inside its limit and refuses release_failed just outside."""
    case, out = _release(approach, **{field: inside})
    assert out.accepted, out.failures
    assert case.state == "purify.released"
    case, out = _release(approach, **{field: outside})
    assert not out.accepted
    assert case.state == "purify.release_testing"
    (fail,) = out.failures
    assert (fail.code, fail.subcode, fail.guard) == ("release_failed", subcode, "release_criteria")
    assert_sentence(fail.message, text)


@approach_param
def test_all_eight_failed_release_tests_are_reported_together(approach: str) -> None:
    """A product failing every test is refused once with all eight subcodes."""
    _, out = _release(approach, **{field: outside for field, _, outside, _, _ in RELEASE_LIMITS})
    assert {f.subcode for f in out.failures} == {row[3] for row in RELEASE_LIMITS}
    assert {f.code for f in out.failures} == {"release_failed"}


def test_release_without_release_tests_is_refused_missing_data() -> None:
    """release before record_release_tests is refused missing_data naming the step to take."""
    out = case_at("purify.release_testing").act("release")
    fail = failure(out, "missing_data")
    assert_sentence(fail.message, "record_release_tests")


def test_dose_limit_is_per_kg_of_the_recipient() -> None:
    """350,000 IEQ, exactly 5,000 IEQ/kg for 70 kg, fails the dose test for a 71 kg recipient."""
    case = fl.Case.new(donor(), recipient(weight_kg=71), "open")
    assert case.act("start_isolation", after="1h").accepted
    assert case.act("finish_digestion", after="8h", digest_ieq=1).accepted
    assert case.act("submit_for_release", after="1h").accepted
    case.act("record_release_tests", **{**GOOD_PREPARATION, "ieq": 350_000})
    assert failure(case.act("release"), "release_failed").subcode == "dose_below_minimum"


# -- Infusion ---------------------------------------------------------------------------------


@approach_param
def test_access_with_the_approachs_anaesthesia_and_imaging_is_accepted(approach: str) -> None:
    """Each approach's own anaesthesia (and imaging for percutaneous) opens access."""
    case = case_at("purify.released", approach)
    out = case.act("access_portal_vein", **ACCESS[approach])
    assert out.accepted, out.failures
    assert case.state == "infuse.access"


@approach_param
def test_access_with_the_wrong_or_no_anaesthesia_is_refused(approach: str) -> None:
    """The other approach's anaesthesia, or none, is refused anesthesia_mismatch."""
    wrong = "general" if approach == "percutaneous" else "local_sedation"
    for anesthesia in (wrong, None):
        case = case_at("purify.released", approach)
        data = {**ACCESS[approach], "anesthesia": anesthesia}
        fail = failure(case.act("access_portal_vein", **data), "anesthesia_mismatch")
        assert fail.observed == anesthesia
        assert fail.limit == ACCESS[approach]["anesthesia"]
        assert_sentence(
            fail.message,
            approach.capitalize(),
            "anaesthesia",
            "got" if anesthesia else "none given",
        )
        assert case.state == "purify.released"


@pytest.mark.parametrize("imaging", [[], ["ultrasound"], ["fluoroscopy"]])
def test_percutaneous_access_needs_ultrasound_and_fluoroscopy(imaging: list[str]) -> None:
    """Percutaneous access missing either imaging guidance is refused imaging_missing."""
    case = case_at("purify.released", "percutaneous")
    out = case.act("access_portal_vein", anesthesia="local_sedation", imaging=imaging)
    fail = failure(out, "imaging_missing")
    missing = {"ultrasound", "fluoroscopy"} - set(imaging)
    assert_sentence(fail.message, *missing)
    assert fail.limit == ("fluoroscopy", "ultrasound")


@pytest.mark.parametrize("approach", ["laparoscopic", "open"])
def test_surgical_access_needs_no_imaging(approach: str) -> None:
    """Laparoscopic and open access pass the imaging guard without any imaging."""
    case = case_at("purify.released", approach)
    (verdict,) = result_of(
        case.check("access_portal_vein", anesthesia="general"), "imaging_present"
    )
    assert verdict.passed


def test_wrong_anaesthesia_and_missing_imaging_are_reported_together() -> None:
    """Percutaneous access under general anaesthesia without imaging lists both failures."""
    out = case_at("purify.released").act("access_portal_vein", anesthesia="general")
    assert {f.code for f in out.failures} == {"anesthesia_mismatch", "imaging_missing"}


@approach_param
@pytest.mark.parametrize(("mmhg", "ok"), [(19.99, True), (20.0, False)])
def test_baseline_portal_pressure_must_be_below_20(approach: str, mmhg: float, ok: bool) -> None:
    """Infusion starts at a baseline of 19.99 mmHg; 20 mmHg is refused portal_pressure_high."""
    case = infusion_ready(approach)
    case.act("record_portal_pressure", mmhg=mmhg)
    out = case.act("start_infusion")
    assert out.accepted is ok
    if not ok:
        fail = failure(out, "portal_pressure_high")
        assert (fail.observed, fail.limit, fail.unit) == (20.0, 20.0, "mmHg")
        assert_sentence(fail.message, "20 mmHg must be below 20 mmHg")


def test_infusion_without_a_baseline_pressure_is_refused() -> None:
    """start_infusion with no pressure reading is refused missing_data naming the step."""
    case = case_at("purify.released")
    case.act("give_induction", agent="rabbit ATG")
    case.act("add_heparin", units_per_kg=70)
    case.act("access_portal_vein", after="1h", **ACCESS["percutaneous"])
    fail = failure(case.act("start_infusion"), "missing_data")
    assert_sentence(fail.message, "record_portal_pressure")


@approach_param
@pytest.mark.parametrize(
    ("before", "ok"),
    [
        (timedelta(minutes=30), True),
        (timedelta(minutes=360), True),
        (timedelta(minutes=30) - SECOND, False),
        (timedelta(minutes=360) + SECOND, False),
    ],
)
def test_induction_30_to_360_min_before_infusion(
    approach: str, before: timedelta, ok: bool
) -> None:
    """Induction exactly 30 or 360 min before passes; a second outside is refused."""
    case = infusion_ready(approach, induction_before=before)
    out = case.act("start_infusion")
    assert out.accepted is ok, out.failures
    if not ok:
        fail = failure(out, "induction_timing")
        assert fail.observed == before
        assert_sentence(fail.message, "Induction given")


def test_infusion_without_induction_is_refused() -> None:
    """start_infusion with no induction given is refused induction_timing with the window."""
    case = case_at("purify.released")
    case.act("add_heparin", units_per_kg=70)
    case.act("access_portal_vein", after="1h", **ACCESS["percutaneous"])
    case.act("record_portal_pressure", mmhg=12)
    fail = failure(case.act("start_infusion"), "induction_timing")
    assert_sentence(fail.message, "30 min to 6 h")


@approach_param
def test_infusion_without_heparin_is_refused(approach: str) -> None:
    """start_infusion with no heparin in the product is refused heparin_missing (70 U/kg)."""
    case = case_at("purify.released", approach)
    case.act("give_induction", agent="rabbit ATG")
    case.act("access_portal_vein", after="1h", **ACCESS[approach])
    case.act("record_portal_pressure", mmhg=12)
    fail = failure(case.act("start_infusion"), "heparin_missing")
    assert fail.limit == 70.0
    assert_sentence(fail.message, "70 U/kg")


def test_every_failing_infusion_guard_is_reported_together() -> None:
    """High baseline, no induction and no heparin: one refusal, three failures."""
    case = case_at("purify.released")
    case.act("access_portal_vein", **ACCESS["percutaneous"])
    case.act("record_portal_pressure", mmhg=24)
    out = case.act("start_infusion")
    assert {f.code for f in out.failures} == {
        "portal_pressure_high",
        "induction_timing",
        "heparin_missing",
    }


def _infusing(approach: str) -> fl.Case:
    case = infusion_ready(approach)
    assert case.act("start_infusion").accepted
    return case


@approach_param
@pytest.mark.parametrize(("mmhg", "paused"), [(21.99, False), (22.0, True)])
def test_infusion_pauses_by_itself_at_22_mmhg(approach: str, mmhg: float, paused: bool) -> None:
    """A reading of 22 mmHg pauses the infusion automatically; 21.99 does not."""
    case = _infusing(approach)
    out = case.act("record_portal_pressure", mmhg=mmhg)
    assert out.accepted
    assert case.state == ("infuse.paused" if paused else "infuse.infusing")
    automatic = [e for e in out.events if e.kind == "automatic"]
    assert len(automatic) == int(paused)
    if paused:
        reason = automatic[0].reason  # type: ignore[union-attr]
        assert (reason.code, reason.observed) == ("portal_pressure_high", 22.0)
        assert_sentence(reason.message, "22 mmHg")


@approach_param
def test_infusion_resumes_only_below_the_stop_limit(approach: str) -> None:
    """resume_infusion is refused while the last reading is 22 mmHg and accepted at 21.99."""
    case = _infusing(approach)
    case.act("record_portal_pressure", mmhg=25)
    case.act("record_portal_pressure", after="5min", mmhg=22)
    assert case.state == "infuse.paused"
    fail = failure(case.act("resume_infusion"), "portal_pressure_high")
    assert fail.observed == 22.0
    case.act("record_portal_pressure", after="5min", mmhg=21.99)
    assert case.act("resume_infusion").accepted
    assert case.state == "infuse.infusing"


def test_pause_infusion_is_not_an_action_a_person_takes() -> None:
    """The automatic pause cannot be asked for: act('pause_infusion') is an unknown action."""
    with pytest.raises(fl.UnknownAction):
        _infusing("open").act("pause_infusion")


def test_completing_a_paused_infusion_needs_the_fraction_delivered() -> None:
    """Stopped early, complete_infusion needs fraction_delivered and records the partial dose."""
    case = _infusing("percutaneous")
    case.act("record_portal_pressure", mmhg=23)
    failure(case.act("complete_infusion"), "missing_data")
    assert case.act("complete_infusion", fraction_delivered=0.5).accepted
    assert case.record.dose_delivered_ieq_per_kg == pytest.approx(455_000 / 70 / 2)


@approach_param
def test_track_sealing_is_needed_for_percutaneous_access_only(approach: str) -> None:
    """seal_access without a sealant is refused track_not_sealed only after percutaneous access."""
    case = case_at("infuse.hemostasis", approach)
    out = case.act("seal_access")
    if approach == "percutaneous":
        fail = failure(out, "track_not_sealed")
        assert_sentence(fail.message, "transhepatic track")
        assert case.act("seal_access", **sealant(approach)).accepted
    else:
        assert out.accepted
    assert case.state == "immunosuppress.maintenance"


@approach_param
def test_follow_up_needs_a_trough_level(approach: str) -> None:
    """start_follow_up is refused missing_data until a trough level has been recorded."""
    case = case_at("immunosuppress.maintenance", approach)
    fail = failure(case.act("start_follow_up", after="3d"), "missing_data")
    assert_sentence(fail.message, "record_trough")
    case.act("record_trough", drug="sirolimus", ng_per_ml=12.5)
    assert case.act("start_follow_up").accepted


@approach_param
@pytest.mark.parametrize("grade", ["optimal", "good", "marginal", "failure"])
def test_assessing_the_graft_records_its_igls_grade(approach: str, grade: str) -> None:
    """assess_graft needs an Igls grade; with one the case completes with the grade as code."""
    case = case_at("immunosuppress.follow_up", approach)
    failure(case.act("assess_graft"), "missing_data")
    out = case.act("assess_graft", after="80d", igls_grade=grade)
    assert out.accepted
    assert case.outcome == fl.Outcome("completed", grade, case.now)
    assert case.record.igls_grade == grade


def test_allowed_lists_each_possible_action_with_its_failing_guards() -> None:
    """allowed() gives every action possible now, each with the guards that would fail."""
    case = case_at("infuse.access")
    allowed = {c.action: c for c in case.allowed()}
    assert set(allowed) == {"start_infusion", "abort", "give_induction", "add_heparin",
                            "record_portal_pressure", "record_complication",
                            "treat_complication", "note"}  # fmt: skip
    assert {f.code for f in allowed["start_infusion"].failures} == {"missing_data"}
    assert allowed["abort"].accepted


def test_not_allowed_lists_what_is_possible_now() -> None:
    """An action of another state is refused not_allowed naming the state and the options."""
    case = new_case()
    out = case.act("release")
    fail = failure(out, "not_allowed")
    assert fail.limit == ("start_isolation", "abort", "note")
    # The sentence opens with the action's own name, which is lower case.
    assert fail.message.startswith("release is not possible in harvest.procured")
    assert fail.message.endswith("possible now: start_isolation, abort, note.")
