"""Results as a clinician reads them: units, the protocol's limits, verdicts, the pause alarm.

The limits are the case's Protocol's (a site's override changes them), never typed again.
"""

from __future__ import annotations

from isletflow import library
from isletflow.training import Exercise, TrainingSession, moves_of, walk
from isletflow.training.results import Result

STANDARD = Exercise.from_scenario("standard")


def _until(exercise: Exercise, done: str) -> TrainingSession:
    """A session of ``exercise`` walked along the expert's moves until ``done`` is accepted."""
    session = exercise.session()
    for move in moves_of(exercise.expert):
        walk(session.case, session.lab, [move])
        if move.action == done:
            break
    return session


def _row(session: TrainingSession, label: str) -> Result:
    [row] = [r for r in session.view().results.results if r.label == label]
    return row


def test_release_results_carry_units_limits_and_verdicts() -> None:
    """After the release tests: the dose in IEQ/kg against the protocol's minimum, the total in
    IEQ and IEQ/kg, the Gram stain shown, each with a verdict."""
    session = _until(STANDARD, "record_release_tests")
    protocol = session.case.protocol
    dose = _row(session, "Dose")
    assert (dose.unit, dose.verdict, dose.limit_value) == (
        "IEQ/kg",
        "within",
        protocol.min_dose_ieq_per_kg,
    )
    assert f"{protocol.min_dose_ieq_per_kg:,.0f} IEQ/kg" in (dose.limit or "")
    total = _row(session, "Islet equivalents")
    assert total.unit == "IEQ"
    assert "IEQ/kg" in total.text
    gram = _row(session, "Gram stain")
    assert (gram.value, gram.verdict, gram.limit) == (False, "within", "negative")
    assert "Gram stain" in gram.text
    assert all(r.verdict is not None for r in session.view().results.results if r.limit)


def test_a_site_limit_changes_the_verdict() -> None:
    """A site protocol asking for more purity than the product has: the purity is outside."""
    scenario = library.load("standard")
    protocol = scenario.protocol.model_copy(update={"min_purity_percent": 90.0})
    exercise = Exercise.from_scenario(scenario.model_copy(update={"protocol": protocol}))
    purity = _row(_until(exercise, "record_release_tests"), "Purity")
    assert purity.verdict == "outside"
    assert "90 %" in (purity.limit or "")


def test_a_paused_infusion_raises_an_alarm_and_marks_the_reading() -> None:
    """The reading that paused the infusion is over the stop limit, and the alarm says why."""
    exercise = Exercise.from_scenario("portal_pressure_pause")
    session = exercise.session()
    for move in moves_of(exercise.expert):
        walk(session.case, session.lab, [move])
        if session.case.state == "infuse.paused":
            break
    results = session.view().results
    assert results.alarm is not None
    assert results.alarm.startswith("Infusion paused: ")
    last = results.pressures[-1]
    assert last.verdict == "outside"
    assert last.unit == "mmHg"
    assert last.limit_value == session.case.protocol.portal_pressure_stop_mmhg
    assert results.pressures[0].limit_value == (
        session.case.protocol.max_baseline_portal_pressure_mmhg
    )
    session.act("resume_infusion", after="30min")
    if session.case.state == "infuse.infusing":
        assert session.view().results.alarm is None


def test_the_case_brief_stays_in_the_view() -> None:
    """The scenario's case brief is in every view of the session."""
    session = _until(STANDARD, "start_culture")
    assert session.view().brief == library.load("standard").description


def test_the_terminal_trainer_prints_results_with_limits_and_the_alarm() -> None:
    """isletflow train shows each new result as its sentence with its verdict, and the alarm."""
    from isletflow.cli.train import show

    session = _until(STANDARD, "submit_for_release")
    seen = len(session.view().revealed)
    session.act("record_release_tests", after="3h")
    text = show(session.view(), seen)
    assert "Result: Dose 6,765 IEQ/kg against a minimum of 5,000 IEQ/kg. [within]" in text
    assert "Result: Gram stain is clear. [within]" in text
    exercise = Exercise.from_scenario("portal_pressure_pause")
    paused = exercise.session()
    for move in moves_of(exercise.expert):
        walk(paused.case, paused.lab, [move])
        if paused.case.state == "infuse.paused":
            break
    text = show(paused.view(), len(paused.view().revealed) - 1)
    assert "ALARM: Infusion paused: " in text
    assert "[OUTSIDE THE LIMIT]" in text


def test_a_rise_limit_lower_than_the_absolute_one_is_the_readings_limit() -> None:
    """With a site's rise limit of 3 mmHg over the baseline, the readings during the infusion are
    judged against baseline + 3, as the pause rule judges them."""
    scenario = library.load("standard")
    protocol = scenario.protocol.model_copy(update={"portal_pressure_stop_rise_mmhg": 3.0})
    exercise = Exercise.from_scenario(scenario.model_copy(update={"protocol": protocol}))
    session = _until(exercise, "start_infusion")
    session.act("record_portal_pressure", after="5min")
    baseline, during = session.view().results.pressures[-2:]
    assert isinstance(baseline.value, float)
    assert during.limit_value == baseline.value + 3.0
