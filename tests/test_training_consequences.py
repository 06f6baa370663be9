"""The score follows consequences: inaction that loses the islets, unsafe choices.

Properties over random trainee scripts on the standard exercise (whose expert path completes
with no refusal or deadline; its one warning, heparin at the protocol's 70 U/kg, is the site's):
the expert path scores full marks; waiting until a deadline loses the islets scores below half;
every unsafe choice (an abort for a reason nothing showed, another induction agent, heparin over
the bleeding-risk threshold and the expert's dose) strictly lowers the score, and its cost is
charged to the action that made it.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isletflow import library
from isletflow.model.parameters import DEFAULT as MODEL
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


# Each unsafe choice, and the deviation it must cost: made at any point of a random session.
UNSAFE = [
    ("abort", {"reason": "arbitrary_choice"}, "abort_without_cause"),
    ("give_induction", {"agent": "aspirin"}, "wrong_induction"),
    ("add_heparin", {"units_per_kg": 100}, "high_heparin"),
]


@given(trainee_scripts(), st.sampled_from(UNSAFE), st.data())
def test_every_unsafe_choice_strictly_lowers_the_score(
    script: list[PlanStep], unsafe: tuple[str, dict[str, object], str], data: st.DataObject
) -> None:
    """At any point of a random session where it is accepted, an unsafe choice costs its own
    deviation, charged to that action, and strictly lowers the score (unless it was already 0)."""
    action, choices, kind = unsafe
    cut = data.draw(st.integers(0, len(script)), label="cut")
    session = _played(script[:cut])
    before = session.score()
    if session.finished or not session.act(action, **choices).accepted:
        return
    after = session.score()
    charged = [d for d in after.deviations if d.kind == kind]
    assert [d.event_index for d in charged][-1] == len(session.case.timeline) - 1
    assert charged[-1].action == action
    assert after.points < before.points or before.points == 0


def _with_heparin(units: float, exercise: Exercise = EXERCISE) -> TrainingSession:
    moves = [
        PlanStep(m.action, m.after, {"units_per_kg": units}) if m.action == "add_heparin" else m
        for m in moves_of(exercise.expert)
    ]
    return _played(moves, exercise)


@given(st.floats(70.5, 500))
def test_heparin_over_the_threshold_and_the_expert_dose_costs_at_add_heparin(units: float) -> None:
    """More heparin than the expert's 70 U/kg (itself over 45 U/kg [S47]) costs high_heparin,
    charged to add_heparin, with the threshold and its source in the reason."""
    session = _with_heparin(units)
    result = session.score()
    [high] = result.deviations
    assert (high.kind, high.code, high.action) == (
        "high_heparin",
        "heparin_bleeding_risk",
        "add_heparin",
    )
    assert high.event_index is not None
    assert getattr(session.case.timeline[high.event_index], "action", None) == "add_heparin"
    assert "45 U/kg" in high.reasons[0]
    assert "[S47]" in high.reasons[0]
    assert result.points == 100 - 5


@given(st.sampled_from([10, 35, 44.9, 45, 70]))
def test_heparin_up_to_the_expert_dose_costs_nothing(units: float) -> None:
    """A dose under the threshold, or over it but not beyond the site's protocol, costs nothing."""
    assert _with_heparin(units).score().points == 100


def test_heparin_over_the_threshold_where_the_protocol_stays_under_it_is_charged_once() -> None:
    """With a site dose under 45 U/kg, 50 U/kg costs high_heparin at add_heparin, and the
    warning it brings at start_infusion is not charged again."""
    scenario = library.load("standard")
    protocol = scenario.protocol.model_copy(update={"heparin_units_per_kg": 30.0})
    exercise = Exercise.from_scenario(scenario.model_copy(update={"protocol": protocol}))
    threshold = MODEL.bleeding.heparin_threshold_units_per_kg
    assert _with_heparin(30.0, exercise).score().points == 100
    result = _with_heparin(threshold + 5, exercise).score()
    assert [(d.kind, d.action) for d in result.deviations] == [("high_heparin", "add_heparin")]


def test_an_action_taken_ahead_is_charged_when_it_is_taken() -> None:
    """Accessing the portal vein before induction and heparin costs at the access, and the two
    steps done afterwards cost nothing more (the first-use review saw it on the later one)."""
    i = [m.action for m in MOVES].index("give_induction")
    access = MOVES[i + 2]
    assert access.action == "access_portal_vein"
    session = _played([*MOVES[:i], access])
    [early] = session.score().deviations
    assert (early.kind, early.action) == ("out_of_order", "access_portal_vein")
    assert early.event_index == len(session.case.timeline) - 1
    assert "give induction and add heparin" in early.reasons[0]  # in words (wording)
    walk(session.case, session.lab, MOVES[i : i + 2])
    assert session.score().deviations == (early,)


@given(trainee_scripts())
def test_a_deviation_once_charged_never_moves(script: list[PlanStep]) -> None:
    """After every step of a random session, the deviations so far are still there, charged to
    the same events, at the end: a score drops at the action or wait that cost it."""
    session = EXERCISE.session()
    for step in script:
        before = session.score().deviations
        walk(session.case, session.lab, [step])
        after = session.score().deviations
        assert set(before) <= set(after)
        assert all(d.event_index is not None for d in after)
