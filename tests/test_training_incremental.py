"""A session's view is kept up as its timeline grows; kept or rebuilt, it is the same view.

These are the caches' correctness tests: the scorer fed event by event, the session's view read
after every step, and the lab's walk of the patient all give exactly what a fresh computation
over the whole timeline gives.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from isletflow.case import Case
from isletflow.training import (
    Exercise,
    PlanStep,
    Rubric,
    TrainingSession,
    lab_from_data,
    moves_of,
    standard_exercise,
    walk,
)
from isletflow.training.alignment import lcs_pairs
from isletflow.training.lab import LabRequest
from isletflow.training.scoring import Scorer, score
from strategies_training import trainee_scripts

EXERCISE = standard_exercise()
RUBRIC = Rubric()


def capped(examples: int) -> settings:
    """The profile's number of examples, at most ``examples``.

    An example of the session tests walks a whole session, rebuilding or re-measuring it at
    every step: 0.03 to 0.12 s on a shared 2-core machine, so the ``thorough`` profile's 2,000
    took about eight minutes for this file. Capped, it took 63 s (measured with the damage
    tests: 156 s for both). The ``dev`` and ``ci`` profiles (60 examples) are under every cap.
    """
    return settings(max_examples=min(settings().max_examples, examples))


def _textbook_lcs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """The suffix-table walk lcs_pairs is specified by (earliest matches), as a test oracle."""
    n, m = len(a), len(b)
    longest = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            longest[i][j] = (
                longest[i + 1][j + 1] + 1
                if a[i] == b[j]
                else max(longest[i + 1][j], longest[i][j + 1])
            )
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif longest[i + 1][j] >= longest[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


_NAMES = st.lists(st.sampled_from("abcde"), max_size=40)


@given(_NAMES, st.lists(st.sampled_from("abcde"), max_size=15))
def test_the_alignment_pairs_are_the_textbook_walks(a: list[str], b: list[str]) -> None:
    """lcs_pairs gives the pairs of the textbook table walk, tie for tie."""
    assert lcs_pairs(a, b) == _textbook_lcs(a, b)


def _session_after(script: list[PlanStep]) -> TrainingSession:
    session = EXERCISE.session()
    walk(session.case, session.lab, script)
    return session


@capped(400)
@given(trainee_scripts(), st.data())
def test_a_scorer_fed_in_pieces_scores_as_the_whole_timeline(
    script: list[PlanStep], data: st.DataObject
) -> None:
    """Fed in any pieces, the scorer gives score() of each prefix, deviation for deviation."""
    timeline = list(_session_after(script).case.timeline)
    scorer, fed = Scorer(EXERCISE.expert, RUBRIC), 0
    while fed < len(timeline):
        step = data.draw(st.integers(1, 5), label="piece")
        scorer.feed(timeline[fed : fed + step])
        fed = min(fed + step, len(timeline))
        assert scorer.score() == score(timeline[:fed], EXERCISE.expert, RUBRIC)


def _fresh(session: TrainingSession) -> TrainingSession:
    """The same session rebuilt from nothing kept: its case replayed, a new lab, new folds."""
    case = Case.replay(session.case.timeline)
    case.clock.advance(session.case.now - case.now)
    lab = lab_from_data(session.lab.to_data())
    return TrainingSession(case, lab, session.expert, session.rubric, exercise=session.exercise)


@capped(200)
@given(trainee_scripts())
def test_the_view_kept_up_step_by_step_is_the_view_rebuilt(script: list[PlanStep]) -> None:
    """After every step, the view a session keeps up equals a rebuilt session's view."""
    session = EXERCISE.session()
    for step in script:
        walk(session.case, session.lab, [step])
        assert session.view() == _fresh(session).view()


# Noisy readings (population) and an infusion paused on a high pressure (portal_pressure_pause).
LAB_EXERCISES = [Exercise.from_scenario(name) for name in ("population", "portal_pressure_pause")]


@capped(200)
@given(st.sampled_from(LAB_EXERCISES), st.data())
def test_the_labs_kept_walk_measures_what_a_new_lab_measures(
    exercise: Exercise, data: st.DataObject
) -> None:
    """At every step, the lab that walked along measures what a new lab measures."""
    session = exercise.session()
    for move in moves_of(exercise.expert):
        steps = [move]
        if data.draw(st.booleans(), label="read first"):
            wait = data.draw(st.sampled_from([None, "5min", "1h"]), label="after")
            steps.insert(0, PlanStep("record_portal_pressure", wait, {}))
        for step in steps:
            walk(session.case, session.lab, [step])
            fresh = lab_from_data(session.lab.to_data())
            for action in ("record_portal_pressure", "complete_infusion"):
                wait = timedelta(minutes=data.draw(st.sampled_from([0, 7, 90]), label="wait"))
                request = LabRequest(action, {}, session.case, wait)
                kept: Any = session.lab.measure(request)
                assert kept == fresh.measure(request)


def test_a_replaced_rubric_is_scored_afresh() -> None:
    """Replacing a session's rubric (or case, or expert) does not reuse the kept score."""
    session = _session_after([PlanStep("release", None, {})])
    assert session.score().points < session.rubric.full_marks
    session.rubric = session.rubric.model_copy(update={"full_marks": 10.0})
    assert session.score().full_marks == 10.0
    assert session.score() == score(session.case.timeline, session.expert, session.rubric)


@given(st.integers(0, 40))
def test_the_simulators_moves_read_the_simulators_noisy_values(index: int) -> None:
    """With noisy readings, the simulator's moves read the simulator's values, draw for draw."""
    exercise = Exercise.from_scenario("population", index=index)
    session = exercise.session()
    walk(session.case, session.lab, moves_of(exercise.expert))
    assert session.case.timeline == exercise.expert


def test_sessions_sharing_a_lab_keep_their_own_walks() -> None:
    """Two sessions on one exercise share its lab; each reads its own case's patient."""
    exercise = LAB_EXERCISES[0]
    one, two = exercise.session(), exercise.session()
    moves = list(moves_of(exercise.expert))
    assert one.lab is two.lab
    for move in moves:
        walk(one.case, one.lab, [move])
        walk(two.case, two.lab, [PlanStep("record_portal_pressure", None, {})])
        for session in (one, two):
            request = LabRequest("record_portal_pressure", {}, session.case, timedelta(0))
            fresh = lab_from_data(session.lab.to_data())
            assert session.lab.measure(request) == fresh.measure(request)
    assert one.case.timeline == exercise.expert
