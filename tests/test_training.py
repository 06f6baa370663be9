"""Training sessions: the lab seam, the view, scoring by deviation, debrief, save and resume."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import isletflow as fl
from isletflow import library
from isletflow.simulation import simulate
from isletflow.timeline import Timeline
from isletflow.training import (
    Actor,
    Debrief,
    Exercise,
    LabRequest,
    PlanStep,
    Rubric,
    SessionSnapshot,
    TrainingSession,
    View,
    moves_of,
    score,
    standard_exercise,
    walk,
    xapi_statements,
)
from isletflow.training.debrief import DebriefRow

EXERCISE = standard_exercise()
EXPERT_MOVES = moves_of(EXERCISE.expert)
CLAMP = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


def _session(**kwargs: object) -> TrainingSession:
    return EXERCISE.session(**kwargs)  # type: ignore[arg-type]


def _until(session: TrainingSession, last: str) -> TrainingSession:
    """Make the expert's moves up to and including the first one named ``last``."""
    upto = next(i for i, step in enumerate(EXPERT_MOVES) if step.action == last)
    walk(session.case, session.lab, EXPERT_MOVES[: upto + 1])
    return session


def _play(exercise: Exercise) -> TrainingSession:
    """A session on ``exercise`` with every one of the expert's moves made."""
    session = exercise.session()
    walk(session.case, session.lab, moves_of(exercise.expert))
    return session


def _found(session: TrainingSession) -> list[tuple[str, str, float]]:
    return [(d.kind, d.code, d.cost) for d in session.score().deviations]


# -- The expert path and the lab --------------------------------------------------------------


def test_expert_path_scores_full_marks() -> None:
    """The expert's moves made as a trainee complete the case with no deviation and 100/100."""
    session = _session()
    _until(session, "assess_graft")
    assert session.case.outcome is not None
    assert session.case.outcome.status == "completed"
    assert session.score().points == 100
    assert session.score().deviations == ()
    assert session.case.timeline == EXERCISE.expert


@pytest.mark.parametrize(
    ("approach", "name"),
    [
        ("percutaneous", "standard"),
        ("laparoscopic", "approach_laparoscopic"),
        ("open", "approach_open"),
    ],
)
def test_the_standard_exercise_is_the_bundled_scenario(approach: str, name: str) -> None:
    """standard_exercise(approach) is that approach's bundled scenario: its lab, its expert."""
    exercise = standard_exercise(approach)
    assert exercise.name == f"{name} (seed 1, case 0)"
    assert exercise.lab == Exercise.from_scenario(name).lab
    assert list(exercise.expert) == list(simulate(library.load(name)).timeline)


def test_moves_of_a_timeline_are_the_trainees_choices_and_waits() -> None:
    """moves_of keeps each input's action, wait and choices; measured values are the lab's."""
    assert EXPERT_MOVES[:3] == (
        PlanStep("start_isolation", "6h"),
        PlanStep("finish_digestion", "4h"),
        PlanStep("start_culture", "5h"),
    )
    trough = next(step for step in EXPERT_MOVES if step.action == "record_trough")
    assert trough.choices == {"drug": "tacrolimus"}
    session = _session()
    session.act("release", after="1h")
    session.wait("30min")
    assert moves_of(session.case.timeline) == (PlanStep("release", "1h"), PlanStep(None, "30min"))
    again = walk(EXERCISE.new_case(None), EXERCISE.lab, moves_of(session.case.timeline))
    assert again.timeline == session.case.timeline


def test_trainee_cannot_give_a_measured_value() -> None:
    """Giving a value the lab measures is an InvalidInput naming it; nothing changes, not time."""
    session = _until(_session(), "start_isolation")
    before = (len(session.case.timeline), session.case.now)
    with pytest.raises(fl.InvalidInput, match=r"digest_ieq.*measured by the lab") as error:
        session.act("finish_digestion", after="4h", digest_ieq=1)
    assert error.value.problems[0].location == "finish_digestion.digest_ieq"
    assert (len(session.case.timeline), session.case.now) == before


def test_malformed_choice_or_wait_changes_nothing() -> None:
    """A bad choice, an unknown action or a bad wait raises before any time passes."""
    session = _until(_session(), "release")
    before = (len(session.case.timeline), session.case.now)
    with pytest.raises(fl.InvalidInput, match="units_per_kg"):
        session.act("add_heparin", after="1h", units_per_kg=-5)
    with pytest.raises(fl.UnknownAction):
        session.act("infuse_now", after="1h")
    with pytest.raises(fl.InvalidInput, match="after"):
        session.act("add_heparin", after="soon", units_per_kg=70)
    assert (len(session.case.timeline), session.case.now) == before


def test_refused_measurement_is_recorded_but_not_revealed() -> None:
    """A measured action in the wrong state is refused (not an error) and reveals no result."""
    session = _session()
    for action in ("record_release_tests", "record_portal_pressure", "assess_graft"):
        out = session.act(action)
        assert not out.accepted
        assert out.failures[0].code == "not_allowed"
    assert session.view().revealed == ()
    assert [d.code for d in session.score().deviations] == ["not_allowed"] * 3


def test_paused_infusion_completes_with_the_share_infused() -> None:
    """Completing an infusion paused on pressure delivers the share in so far, as the lab says."""
    exercise = Exercise.from_scenario("portal_pressure_pause")
    session = exercise.session()
    for step in moves_of(exercise.expert):
        walk(session.case, session.lab, [step])
        if session.case.state == "infuse.paused":
            break
    assert not session.act("resume_infusion").accepted  # the last reading is still too high
    assert session.act("complete_infusion", after="1h").accepted
    record = session.case.record
    assert record.infusion_started_at is not None
    paused_at = next(e.at for e in session.case.timeline if e.kind == "automatic")
    share = (paused_at - record.infusion_started_at) / exercise.lab.plan.timings.infusion
    assert 0 < share < 1
    assert record.fraction_delivered == math.floor(share * 1000) / 1000


def _label(row: DebriefRow) -> str:
    step = row.trainee or row.expert
    return step.label if step is not None else ""


def test_debrief_pairs_the_same_automatic_pause_on_both_paths() -> None:
    """A pause on high pressure that trainee and expert both met is one row, not two."""
    exercise = Exercise.from_scenario("portal_pressure_pause")
    assert any(isinstance(e, fl.timeline.AutomaticStep) for e in exercise.expert)
    session = _play(exercise)
    pauses = [r for r in session.debrief().rows if "pause the infusion" in _label(r)]
    assert len(pauses) == 1
    assert pauses[0].trainee is not None
    assert pauses[0].expert is not None


def test_a_snapshots_lab_is_the_scenario_lab() -> None:
    """lab_from_data reads the scenario lab back; any other kind (a fixed lab, say) is refused."""
    lab = EXERCISE.lab
    assert fl.training.lab_from_data(json.loads(json.dumps(lab.to_data()))) == lab
    for kind in ("fixed", "wet", None):
        with pytest.raises(fl.InvalidInput, match="kind"):
            fl.training.lab_from_data({"kind": kind})


# -- The view ---------------------------------------------------------------------------------


def test_view_lists_possible_actions_with_every_reason() -> None:
    """At access with nothing prepared, start_infusion shows each failing guard's sentence."""
    session = _session()
    upto = next(i for i, step in enumerate(EXPERT_MOVES) if step.action == "record_portal_pressure")
    skipped = ("give_induction", "add_heparin")
    walk(
        session.case, session.lab, [s for s in EXPERT_MOVES[: upto + 1] if s.action not in skipped]
    )
    view = session.view()
    actions = {a.action: a for a in view.allowed}
    infusion = actions["start_infusion"]
    assert not infusion.accepted
    assert {r.code for r in infusion.failures} == {"induction_timing", "heparin_missing"}
    assert "Add heparin (70 U/kg)" in " ".join(r.message for r in infusion.failures)
    assert actions["give_induction"].accepted
    assert actions["give_induction"].kind == "recording"
    assert [c.name for c in actions["give_induction"].choices] == ["agent"]
    assert actions["record_portal_pressure"].choices == ()
    assert actions["record_portal_pressure"].measured == ("mmhg",)
    assert [d.name for d in view.deadlines] == ["release_window", "culture_window"]


def test_view_judges_measured_steps_with_the_lab_values() -> None:
    """finish_digestion is shown as accepted: the lab will give the digest the guard needs."""
    session = _until(_session(), "start_isolation")
    (finish,) = [a for a in session.view().allowed if a.action == "finish_digestion"]
    assert finish.accepted
    assert finish.failures == ()


def test_view_offers_choices_for_a_form() -> None:
    """access_portal_vein's choices carry options, and imaging takes several."""
    session = _until(_session(), "release")
    (access,) = [a for a in session.view().allowed if a.action == "access_portal_vein"]
    fields = {c.name: c for c in access.choices}
    assert fields["anesthesia"].options == ("local_sedation", "general")
    assert fields["imaging"].many
    assert set(fields["imaging"].options or ()) == {
        "ultrasound",
        "fluoroscopy",
    }
    assert not access.accepted
    assert {r.code for r in access.failures} == {
        "anesthesia_mismatch",
        "imaging_missing",
    }


def test_view_carries_whole_verdicts_the_record_and_the_case() -> None:
    """The view gives whole guard verdicts, a copy of the record, and the donor and approach."""
    session = _until(_session(), "give_induction")
    view = session.view()
    (start,) = [a for a in view.allowed if a.action == "access_portal_vein"]
    (anesthesia, *_) = start.failures
    assert (anesthesia.guard, anesthesia.passed, anesthesia.warning) == (
        "anesthesia_fits",
        False,
        False,
    )
    assert anesthesia.limit == "local_sedation"
    assert view.record.released_at is not None
    assert [i.agent for i in view.record.inductions] == ["rabbit ATG"]
    assert (view.case.approach, view.case.recipient.id) == ("percutaneous", "R-001")
    session.act("add_heparin", units_per_kg=70)
    assert view.record.heparin_units_per_kg is None
    assert session.view().record.heparin_units_per_kg == 70


def test_view_reveals_results_only_after_their_step() -> None:
    """Release-test values appear in the view only once record_release_tests has happened."""
    session = _until(_session(), "submit_for_release")
    fields = {m.field for m in session.view().revealed}
    assert fields == {"digest_ieq", "purified_ieq"}
    session.act("record_release_tests", after="3h")
    revealed = {m.field: m.value for m in session.view().revealed}
    assert revealed["purity_percent"] == 65
    assert revealed["labelled_recipient_id"] == "R-001"


def test_view_is_json_ready() -> None:
    """The view round-trips through JSON unchanged."""
    session = _session()
    session.act("release")
    view = _until(session, "record_trough").view()
    assert view.score.deviations[0].code == "not_allowed"
    assert View.model_validate_json(view.model_dump_json()) == view


# -- Clocks -----------------------------------------------------------------------------------


def test_live_clock_fires_deadlines_like_the_simulated_one() -> None:
    """On an AcceleratedClock, wall time alone expires released islets, stamped at the deadline."""
    wall = [0.0]
    live = _session(clock=fl.AcceleratedClock(CLAMP, factor=60, wall=lambda: wall[0]))
    _until(live, "release")
    released = live.case.record.released_at
    assert released is not None
    wall[0] += 3 * 60  # 3 h of case time
    assert live.view().deadlines[0].time_left == timedelta(hours=3)
    wall[0] += 4 * 60
    view = live.view()
    assert view.finished
    assert view.outcome is not None
    assert view.outcome.code == "islets_expired"
    simulated = _until(_session(), "release")
    simulated.wait("7h")
    assert live.case.timeline[-1] == simulated.case.timeline[-2]  # the same DeadlineFired
    assert live.case.outcome == simulated.case.outcome
    assert live.case.outcome is not None
    assert live.case.outcome.at == released + timedelta(hours=6)


def test_live_session_with_a_wait_replays() -> None:
    """A timeline made on a live clock, with a wait in it, replays to an equal case."""
    wall = [0.0]
    live = _session(clock=fl.AcceleratedClock(CLAMP, factor=60, wall=lambda: wall[0]))
    wall[0] = 60.0
    live.wait("1h")
    live.act("start_isolation")
    assert fl.Case.replay(live.case.timeline) == live.case


# -- Scoring ----------------------------------------------------------------------------------


def test_refusals_cost_by_code() -> None:
    """A step not possible costs 1; infusing without heparin costs 5; each with its reasons.

    Accessing the portal vein before the heparin the expert adds first is out of order too,
    charged to the access when it is made."""
    session = _session()
    session.act("release")
    upto = next(i for i, step in enumerate(EXPERT_MOVES) if step.action == "start_infusion")
    walk(
        session.case,
        session.lab,
        [s for s in EXPERT_MOVES[: upto + 1] if s.action != "add_heparin"],
    )
    assert _found(session) == [
        ("refused", "not_allowed", 1.0),
        ("out_of_order", "access_portal_vein", 2.0),
        ("refused", "heparin_missing", 5.0),
    ]
    assert session.score().points == 92
    heparin = session.score().deviations[2]
    assert heparin.reasons == ("Add heparin (70 U/kg) to the product first.",)
    assert heparin.action == "start_infusion"


def test_out_of_order_actions_found_by_common_subsequence() -> None:
    """Heparin before induction is one action out of the expert's order, not two."""
    plan = list(EXPERT_MOVES)
    i = [s.action for s in plan].index("give_induction")
    plan[i], plan[i + 1] = plan[i + 1], plan[i]
    session = _session()
    walk(session.case, session.lab, plan)
    assert session.case.outcome is not None
    assert session.case.outcome.status == "completed"
    assert _found(session) == [("out_of_order", "add_heparin", 2.0)]
    assert "after give induction" in session.score().deviations[0].reasons[0]


def test_warning_the_expert_avoided_costs() -> None:
    """Starting isolation after 9 h of cold ischaemia costs the warning's weight."""
    session = _session()
    session.act("start_isolation", after="9h")
    assert _found(session) == [("warning", "cold_ischemia_above_target", 3.0)]
    assert "above the 8 h quality target" in session.score().deviations[0].reasons[0]


def test_expired_islets_cost_a_deadline_and_an_avoidable_abort() -> None:
    """Waiting 7 h after release breaches the deadline and loses a graft the expert saved."""
    session = _until(_session(), "release")
    session.wait("7h")
    assert _found(session) == [
        ("deadline_breached", "islets_expired", 55.0),
        ("avoidable_abort", "islets_expired", 30.0),
    ]
    assert session.score().points == 15
    assert "release window (6 h [S1])" in session.score().deviations[0].reasons[0]


def test_trainee_abort_is_avoidable() -> None:
    """Aborting a case the expert completed, for a reason nothing showed, costs an abort without
    cause (charged to the abort) and an avoidable abort, and no order deviation."""
    session = _until(_session(), "submit_for_release")
    session.act("abort", reason="recipient_unstable")
    assert _found(session) == [
        ("abort_without_cause", "recipient_unstable", 25.0),
        ("avoidable_abort", "recipient_unstable", 30.0),
    ]
    assert session.score().points < 50
    unfounded = session.score().deviations[0]
    assert unfounded.action == "abort"
    assert unfounded.event_index == len(session.case.timeline) - 1
    assert session.score().deviations[1].reasons == (
        "The trainee aborted the case (recipient_unstable); the expert path completed it.",
    )


def test_late_infusion_costs_per_hour_beyond_the_grace() -> None:
    """Infusing 5 h after the expert costs 3 points (2 h grace, 1 per hour)."""
    assert next(s for s in EXPERT_MOVES if s.action == "submit_for_release").after == "1d"
    plan = [
        s if s.action != "submit_for_release" else PlanStep(s.action, "29h") for s in EXPERT_MOVES
    ]
    session = _session()
    walk(session.case, session.lab, plan)
    assert _found(session) == [("late_infusion", "late_infusion", 3.0)]
    assert session.score().points == 97


def test_score_is_a_pure_function_of_the_timelines() -> None:
    """The score recomputed from the JSON timelines equals the live one."""
    session = _session()
    session.act("start_isolation", after="9h")
    session.act("release")
    trainee = Timeline.from_json(session.case.timeline.to_json())
    expert = Timeline.from_json(Timeline(list(EXERCISE.expert)).to_json())
    assert score(trainee, expert, Rubric()) == session.score()


def test_rubric_loads_overrides_and_merges_weights(tmp_path: Path) -> None:
    """A rubric file overrides one weight and keeps every other default; bad weights are refused."""
    path = tmp_path / "rubric.toml"
    path.write_text("[weights]\nwarning = 10\n[code_weights]\nnot_allowed = 0\n")
    rubric = Rubric.load(path)
    assert rubric.weights.warning == 10
    assert rubric.weights.deadline_breached == 55
    assert rubric.code_weights["heparin_missing"] == 5
    assert rubric.code_weights["not_allowed"] == 0
    session = _session(rubric=rubric)
    session.act("start_isolation", after="9h")
    session.act("release")
    assert session.score().points == 90
    with pytest.raises(fl.InvalidInput, match=r"weights\.refused"):
        Rubric().overridden({"weights": {"refused": -1}})


# -- Debrief, snapshot, xAPI ------------------------------------------------------------------


def test_debrief_lists_each_deviation_with_reason_and_cost() -> None:
    """The debrief text shows outcome, score, each deviation's time, reason and cost, both paths."""
    session = _session()
    session.act("start_isolation", after="9h")
    session.act("release")
    walk(session.case, session.lab, EXPERT_MOVES[1:6])
    session.wait("7h")
    report = session.debrief()
    text = report.text()
    assert report.finished
    assert report.points == 11
    assert "Outcome:  aborted (islets_expired [S1]), " in text  # the release window's source
    assert "Expert:   completed (good)" in text
    assert "Score:    11 / 100" in text
    assert "-55  deadline breached [islets_expired]" in text
    assert "release is not possible in digesting (harvest)" in text
    assert "REFUSED release the product" in text
    assert "assess the graft" in text
    assert "digest_ieq" not in text  # the step details name each field in words, with its unit
    assert "digest 620,000 IEQ" in text
    assert Debrief.model_validate_json(report.model_dump_json()) == report


def test_debrief_rows_put_the_paths_side_by_side() -> None:
    """Matching actions share a row; a refused step is the trainee's alone and flagged."""
    session = _session()
    session.act("release")
    session.act("start_isolation", after="6h")
    rows = session.debrief().rows
    assert rows[0].trainee is not None
    assert rows[0].expert is None
    assert rows[0].deviation_kinds == ("refused",)
    assert rows[1].trainee is not None
    assert rows[1].expert is not None
    assert rows[1].trainee.label == rows[1].expert.label == "start the isolation"


def test_restored_session_goes_on_identically() -> None:
    """Saved mid-case as JSON and restored, a session keeps its deadlines, clock and score."""
    plan = EXPERT_MOVES
    whole = _session(rubric=Rubric().overridden({"full_marks": 50}))
    walk(whole.case, whole.lab, plan)
    half = _session(rubric=Rubric().overridden({"full_marks": 50}))
    walk(half.case, half.lab, plan[:6])
    text = half.snapshot().model_dump_json()
    restored = TrainingSession.restore(text)
    assert restored.case.deadlines == half.case.deadlines
    assert restored.case.now == half.case.now
    assert restored.rubric.full_marks == 50
    assert restored.exercise == EXERCISE.name
    walk(restored.case, restored.lab, plan[6:])
    assert restored.case.timeline == whole.case.timeline
    assert restored.debrief() == whole.debrief()
    late = TrainingSession.restore(SessionSnapshot.model_validate_json(text))
    late.wait("7h")
    assert late.case.outcome is not None
    assert late.case.outcome.code == "islets_expired"


def test_restored_live_session_keeps_its_clock_factor() -> None:
    """A session saved on an AcceleratedClock resumes on one with the same factor."""
    wall = [0.0]
    live = _session(clock=fl.AcceleratedClock(CLAMP, factor=60, wall=lambda: wall[0]))
    snap = live.snapshot()
    assert snap.clock_factor == 60
    clock = fl.AcceleratedClock(CLAMP, factor=60, wall=lambda: wall[0])
    again = TrainingSession.restore(snap.model_dump(mode="json"), clock=clock)
    wall[0] = 60.0
    assert again.case.now == CLAMP + timedelta(hours=1)
    assert isinstance(TrainingSession.restore(snap).case.clock, fl.AcceleratedClock)


def test_snapshot_of_another_version_is_refused() -> None:
    """A session snapshot with an unknown schema version is an InvalidInput."""
    data = _session().snapshot().model_dump(mode="json")
    data["schema_version"] = 99
    with pytest.raises(fl.InvalidInput, match="schema_version"):
        TrainingSession.restore(data)


def test_expert_of_another_case_is_refused() -> None:
    """A session whose expert timeline is of another case is an InvalidInput."""
    other = standard_exercise("open")
    with pytest.raises(fl.InvalidInput, match="same case"):
        TrainingSession(EXERCISE.new_case(None), EXERCISE.lab, other.expert)


def test_xapi_statements_are_deterministic_and_typed() -> None:
    """Statements use ADL verbs, the case's times and uuid5 ids, the same on every run."""
    actor = Actor(name="Ana", account_name="ana", home_page="https://lms.example.org")

    def run() -> list[dict[str, object]]:
        session = _session()
        session.act("release")
        walk(session.case, session.lab, EXPERT_MOVES)
        statements = session.statements(actor, attempt="attempt-1")
        assert statements == xapi_statements(
            session.case.timeline,
            session.expert,
            session.rubric,
            actor,
            session.exercise,
            attempt="attempt-1",
        )
        return statements

    first = run()
    assert json.dumps(first) == json.dumps(run())
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in first]  # type: ignore[index]
    assert verbs[:3] == ["attempted", "failed", "completed"]
    assert verbs[-1] == "completed"
    assert len({s["id"] for s in first}) == len(first)
    refused = first[1]
    assert refused["result"]["success"] is False  # type: ignore[index]
    assert "not possible" in refused["result"]["response"]  # type: ignore[index]
    assert first[2]["context"]["extensions"]["urn:isletflow:xapi:case-time"] == (  # type: ignore[index]
        "2026-03-03T04:00:00Z"
    )
    assert "timestamp" not in first[2]
    final = first[-1]["result"]
    assert final["score"] == {"raw": 99.0, "min": 0, "max": 100.0, "scaled": 0.99}  # type: ignore[index]


@pytest.mark.parametrize("after", ["99999999d", timedelta(days=999_999_999)])
def test_a_wait_past_the_calendar_is_invalid_input_on_after(after: object) -> None:
    """A training step waiting past year 9999 names 'after' (not OverflowError); nothing moves."""
    session = _session()
    before = (session.case.now, len(session.case.timeline))
    with pytest.raises(fl.InvalidInput) as caught:
        session.act("start_isolation", after)  # type: ignore[arg-type]
    assert caught.value.problems[0].location == "after"
    assert "past the year 9999" in caught.value.problems[0].rule
    assert (session.case.now, len(session.case.timeline)) == before


class _Listening:
    """The exercise's lab, keeping every request it is asked."""

    def __init__(self) -> None:
        self.asked: list[LabRequest] = []

    def measure(self, request: LabRequest) -> Mapping[str, object]:
        self.asked.append(request)
        return EXERCISE.lab.measure(request)

    def to_data(self) -> dict[str, object]:
        return EXERCISE.lab.to_data()


def test_the_lab_hears_the_wait_and_the_case_alone_checks_the_calendar() -> None:
    """A wait past year 9999 reaches the lab as a wait; Case.act alone refuses it, on 'after'."""
    lab = _Listening()
    session = TrainingSession(EXERCISE.new_case(None), lab, EXERCISE.expert)
    _until(session, "start_isolation")
    before = (session.case.now, len(session.case.timeline))
    forever = timedelta(days=999_999_999)
    with pytest.raises(fl.InvalidInput) as caught:
        session.act("finish_digestion", after=forever)
    assert [p.location for p in caught.value.problems] == ["after"]
    assert [(r.action, r.after) for r in lab.asked] == [("finish_digestion", forever)]
    assert (session.case.now, len(session.case.timeline)) == before
