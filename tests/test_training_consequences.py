"""The score follows consequences: inaction that loses the islets and an abort without cause.

Properties over random trainee scripts on the standard exercise (whose expert path completes
with no refusal, warning or deadline): the expert path scores full marks; waiting until a
deadline loses the islets scores below half; an abort for a reason nothing showed strictly lowers
the score, and its cost is charged to the abort itself.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isletflow import library
from isletflow.timeline import DeadlineFired
from isletflow.training import (
    Exercise,
    PlanStep,
    TrainingSession,
    moves_of,
    standard_exercise,
    walk,
)
from strategies_training import trainee_scripts

EXERCISE = standard_exercise()
MOVES = list(moves_of(EXERCISE.expert))


def _played(script: list[PlanStep], exercise: Exercise = EXERCISE) -> TrainingSession:
    session = exercise.session()
    walk(session.case, session.lab, script)
    return session


@pytest.mark.parametrize("name", library.names())
def test_an_expert_path_loses_only_for_its_own_refusals(name: str) -> None:
    """Walked as a trainee, every bundled expert path costs nothing but the refusals its
    scenario forces on it: its deadlines are the scenario's logistics, its aborts and rejections
    have their cause; without a refusal it scores full marks."""
    exercise = Exercise.from_scenario(name)
    session = _played(list(moves_of(exercise.expert)), exercise)
    result = session.score()
    assert {d.kind for d in result.deviations} <= {"refused"}
    if not result.deviations:
        assert result.points == result.full_marks


def test_the_standard_expert_path_scores_full_marks() -> None:
    assert _played(MOVES).score().points == 100


@given(st.integers(0, len(MOVES) - 1), st.sampled_from(["13h", "4d", "30d"]))
def test_waiting_until_the_islets_are_lost_scores_below_half(cut: int, wait: str) -> None:
    """The expert's first moves, then a wait: if a deadline fires, the score is below half, and
    the deadline's cost is charged to the event of the wait that let it pass."""
    session = _played(MOVES[:cut])
    before = session.score().points
    start = len(session.case.timeline)
    session.wait(wait)
    fired = [e for e in session.case.timeline[start:] if isinstance(e, DeadlineFired)]
    if fired:
        result = session.score()
        assert result.points < 50
        assert result.points < before
        [breach] = [d for d in result.deviations if d.kind == "deadline_breached"]
        assert breach.event_index is not None
        assert breach.event_index >= start


@given(trainee_scripts(), st.data())
def test_an_abort_without_cause_strictly_lowers_the_score(
    script: list[PlanStep], data: st.DataObject
) -> None:
    """At any point of a random session still going on, aborting for a reason nothing showed
    costs an abort without cause, charged to the abort, and strictly lowers the score."""
    cut = data.draw(st.integers(0, len(script)), label="cut")
    session = _played(script[:cut])
    if session.finished:
        return
    before = session.score()
    result = session.act("abort", reason="arbitrary_choice")
    assert result.accepted
    after = session.score()
    [unfounded] = [d for d in after.deviations if d.kind == "abort_without_cause"]
    assert unfounded.action == "abort"
    assert unfounded.event_index == len(session.case.timeline) - 1
    assert after.points < before.points or before.points == 0
    assert after.points < 50


def test_an_abort_for_a_reason_a_refusal_showed_has_its_cause() -> None:
    """Aborting on portal_pressure_high after the refused infusion costs no abort without cause."""
    exercise = Exercise.from_scenario("portal_pressure_high")
    session = _played(list(moves_of(exercise.expert)), exercise)
    assert session.case.outcome is not None
    assert session.case.outcome.code == "portal_pressure_high"
    assert "abort_without_cause" not in {d.kind for d in session.score().deviations}
    other = _played(list(moves_of(exercise.expert))[:-1], exercise)
    other.act("abort", reason="recipient_unstable")
    assert "abort_without_cause" in {d.kind for d in other.score().deviations}


def _with_agent(agent: str) -> list[PlanStep]:
    return [
        PlanStep(m.action, m.after, {"agent": agent}) if m.action == "give_induction" else m
        for m in MOVES
    ]


@given(st.sampled_from(["aspirin", "basiliximab", "paracetamol", "ATG rabbit"]))
def test_a_wrong_induction_agent_strictly_lowers_the_score(agent: str) -> None:
    """The expert's path with another induction agent loses points, charged to that induction."""
    session = _played(_with_agent(agent))
    result = session.score()
    assert result.points < 100
    [wrong] = [d for d in result.deviations if d.kind == "wrong_induction"]
    assert wrong.action == "give_induction"
    assert wrong.event_index is not None
    assert getattr(session.case.timeline[wrong.event_index], "action", None) == "give_induction"


@given(st.sampled_from(["rabbit ATG", "Rabbit ATG", "rabbit  atg", " RABBIT ATG "]))
def test_the_expert_agent_written_otherwise_is_no_deviation(agent: str) -> None:
    assert _played(_with_agent(agent)).score().points == 100
