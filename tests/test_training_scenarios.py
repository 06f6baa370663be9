"""Training over scenarios: the scenario's lab, the simulator as the expert, the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from isletflow import library
from isletflow.cli import main
from isletflow.errors import InvalidInput
from isletflow.simulation import simulate
from isletflow.timeline import DeadlineFired, Refused
from isletflow.training import Exercise, ScenarioLab, TrainingSession, lab_from_data, moves_of, walk

EXPERT_MEETS_A_GUARD = {
    # The simulator's policy is refused (or runs out of time) on the way, by the scenario's
    # design; the rubric prices a refusal whoever meets it, a deadline only if the expert
    # path did not meet it too (the scenario's logistics).
    "cold_ischemia_exceeded", "culture_window_exceeded", "donor_ineligible", "induction_wait",
    "islets_expired_before_infusion", "population", "portal_pressure_high",
    "preservation_unaccepted", "release_dose_below_minimum", "release_endotoxin_above_limit",
    "release_gram_stain_positive", "release_identity_mismatch", "release_purity_below_minimum",
    "release_stimulation_index_below_minimum", "release_tissue_volume_above_limit",
    "release_viability_below_minimum",
}  # fmt: skip


def _play(exercise: Exercise) -> TrainingSession:
    session = exercise.session()
    walk(session.case, session.lab, moves_of(exercise.expert))
    return session


@pytest.mark.parametrize("name", library.names())
def test_the_experts_moves_replayed_by_a_trainee_score_full_marks(name: str) -> None:
    """The expert's moves typed as a trainee give the expert's timeline and lose nothing more.

    Where the expert path itself is refused or runs out of time, the score is full marks less
    exactly those refusals and deadlines; everywhere else it is full marks.
    """
    exercise = Exercise.from_scenario(name)
    session = _play(exercise)
    assert list(session.case.timeline) == list(exercise.expert)
    result = session.score()
    met = any(isinstance(e, Refused | DeadlineFired) for e in exercise.expert)
    assert met == (name in EXPERT_MEETS_A_GUARD)
    assert {d.kind for d in result.deviations} <= {"refused"}
    assert result.points == result.full_marks - sum(d.cost for d in result.deviations)
    if not met:
        assert result.points == result.full_marks


def test_the_expert_path_is_the_simulators_on_the_same_case() -> None:
    """from_scenario's expert is simulate(scenario, seed, index) for that seed and index."""
    scenario = library.load("population")
    exercise = Exercise.from_scenario(scenario, seed=7, index=3)
    assert list(exercise.expert) == list(simulate(scenario, 7, 3).timeline)


def test_a_trainee_sees_why_a_high_baseline_pressure_refuses_the_infusion() -> None:
    """On portal_pressure_high the view shows start_infusion refused with the pressure."""
    exercise = Exercise.from_scenario("portal_pressure_high")
    session = exercise.session()
    script = moves_of(exercise.expert)
    upto = next(i for i, s in enumerate(script) if s.action == "start_infusion")
    walk(session.case, session.lab, script[:upto])
    assert session.case.state == "infuse.access"
    [start] = [a for a in session.view().allowed if a.action == "start_infusion"]
    assert not start.accepted
    [reason] = start.failures
    assert reason.code == "portal_pressure_high"
    assert "21 mmHg" in reason.message
    result = session.act("start_infusion")
    assert not result.accepted
    assert [f.code for f in result.failures] == ["portal_pressure_high"]


def test_a_trainee_who_reads_the_refusal_and_aborts_scores_full_marks() -> None:
    """Aborting on the high reading, without trying the infusion, costs nothing."""
    exercise = Exercise.from_scenario("portal_pressure_high")
    session = exercise.session()
    for step in moves_of(exercise.expert):
        if step.action == "start_infusion":
            break
        walk(session.case, session.lab, [step])
    assert session.act("abort", reason="portal_pressure_high").accepted
    result = session.score()
    assert (result.points, result.deviations) == (result.full_marks, ())


def test_measured_values_are_the_plans() -> None:
    """The lab's values are the sampled plan's, and a trainee cannot give one."""
    exercise = Exercise.from_scenario("population", seed=11, index=2)
    lab = exercise.lab
    assert isinstance(lab, ScenarioLab)
    session = exercise.session()
    session.act("start_isolation", after="6h")
    session.act("finish_digestion", after="4h")
    [digest] = [m for m in session.view().revealed if m.field == "digest_ieq"]
    assert digest.value == lab.plan.digest_ieq
    with pytest.raises(InvalidInput, match="measured by the lab"):
        session.act("start_culture", purified_ieq=1)


def test_save_and_restore_mid_case_finishes_identically() -> None:
    """A scenario session saved while paused on pressure goes on exactly as the unsaved one."""
    exercise = Exercise.from_scenario("portal_pressure_pause")
    script = moves_of(exercise.expert)
    session = exercise.session()
    done = 0
    while session.case.state != "infuse.paused":
        walk(session.case, session.lab, script[done : done + 1])
        done += 1
    saved = session.snapshot().model_dump_json()
    restored = TrainingSession.restore(json.loads(saved))
    for step in script[done:]:
        walk(session.case, session.lab, [step])
        walk(restored.case, restored.lab, [step])
    assert restored.case.timeline == session.case.timeline
    assert list(session.case.timeline) == list(exercise.expert)
    assert restored.debrief() == session.debrief()


def test_lab_data_round_trips_and_rejects_a_bad_scenario() -> None:
    """A ScenarioLab rebuilds from to_data; a broken scenario in it lists its problems."""
    lab = Exercise.from_scenario("standard").lab
    again = lab_from_data(lab.to_data())
    assert again == lab
    data = {**lab.to_data(), "scenario": {**lab.to_data()["scenario"], "timings": {}}}
    with pytest.raises(InvalidInput, match="timings"):
        lab_from_data(data)


def test_train_command_takes_a_bundled_name_a_file_and_a_seed() -> None:
    """isletflow train NAME --seed N trains on that scenario; an unknown name exits 1."""
    runner = CliRunner()
    out = runner.invoke(main, ["train", "portal_pressure_high", "--seed", "3"], input="quit\n")
    assert out.exit_code == 0, out.output
    assert "portal_pressure_high: percutaneous case 7 (seed 3, case 0)" in out.output
    default = runner.invoke(main, ["train"], input="quit\n")
    assert "standard: standard percutaneous case (seed 1, case 0)" in default.output
    bad = runner.invoke(main, ["train", "no_such"], input="quit\n")
    assert bad.exit_code == 1
    assert "neither a bundled scenario" in bad.output
