"""Properties of training sessions over random trainee scripts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from isletflow.timeline import Timeline
from isletflow.training import (
    PlanStep,
    Rubric,
    TrainingSession,
    debrief,
    score,
    standard_exercise,
    walk,
)
from isletflow.training.xapi import Actor, xapi_statements
from strategies_training import trainee_scripts

EXERCISE = standard_exercise()
ACTOR = Actor(name="T", account_name="t", home_page="https://lms.example.org")


def _run(session: TrainingSession, script: list[PlanStep]) -> list[tuple[int, float]]:
    """Run ``script``; after each step, the timeline's length and the live score."""
    live = []
    for step in script:
        walk(session.case, session.lab, [step])
        live.append((len(session.case.timeline), session.score().points))
    return live


@given(trainee_scripts())
def test_score_recomputed_from_the_timeline_equals_the_live_score(script: list[PlanStep]) -> None:
    """At every step, the score from the stored JSON timeline alone equals the live score."""
    session = EXERCISE.session()
    live = _run(session, script)
    trainee = Timeline.from_json(session.case.timeline.to_json())
    expert = Timeline.from_json(Timeline(list(EXERCISE.expert)).to_json())
    rubric = Rubric.model_validate_json(session.rubric.model_dump_json())
    for length, points in live:
        assert score(trainee[:length], expert, rubric).points == points
    assert debrief(trainee, expert, rubric, session.exercise) == session.debrief()
    assert 0 <= session.score().points <= rubric.full_marks


@given(trainee_scripts(), st.data())
def test_restored_session_finishes_identically(script: list[PlanStep], data: st.DataObject) -> None:
    """Saved as JSON at any step and restored, a session ends with the same timeline and score."""
    split = data.draw(st.integers(0, len(script)), label="split")
    whole = EXERCISE.session()
    _run(whole, script)
    first = EXERCISE.session()
    _run(first, script[:split])
    resumed = TrainingSession.restore(first.snapshot().model_dump_json())
    _run(resumed, script[split:])
    assert resumed.case.timeline == whole.case.timeline
    assert resumed.score() == whole.score()
    assert resumed.debrief() == whole.debrief()
    statements = resumed.statements(ACTOR, attempt="a")
    assert statements == xapi_statements(
        whole.case.timeline, whole.expert, whole.rubric, ACTOR, whole.exercise, attempt="a"
    )
