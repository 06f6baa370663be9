"""Training over a recipient's course: procedures, re-infusion decisions, function over time."""

from __future__ import annotations

import contextlib
import io
import json
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from isletflow import library
from isletflow.cli import main
from isletflow.course_events import Decided
from isletflow.course_run import course_record, simulate_course
from isletflow.errors import InvalidInput
from isletflow.scenario import Scenario
from isletflow.training import PlanStep, moves_of, walk
from isletflow.training.course_session import CourseSession, CourseSessionSnapshot
from strategies_sim import scenarios

STANDARD = library.load("standard")
POPULATION = library.load("population")
# Every bundled scenario whose expert course reaches a re-infusion decision.
COURSE_SCENARIOS = (
    "standard",
    "approach_laparoscopic",
    "approach_open",
    "induction_wait",
    "partial_dose",
    "population",
    "portal_pressure_pause",
)


def _expert_decisions(session: CourseSession) -> list[bool]:
    return [e.reinfuse for e in session.expert.timeline if isinstance(e, Decided)]


def play(
    session: CourseSession,
    decide: Callable[[int], bool] | Sequence[bool] | None = None,
    *,
    stop_at: int | None = None,
) -> CourseSession:
    """Play the expert's moves in each procedure and ``decide`` each decision (by its number in
    the session's; the expert's by default), stopping at decision ``stop_at`` if given."""
    choices = _expert_decisions(session) if decide is None else decide
    while not session.finished:
        current = session.current
        made = len(session.decisions)
        if current is not None:
            walk(current.case, current.lab, moves_of(current.expert))
        elif made == stop_at:
            break
        else:
            session.decide(choices(made) if callable(choices) else choices[made])
    return session


def test_the_expert_path_scores_full_marks_and_is_the_expert_course():
    """The expert's moves and decisions score 100 and give simulate_course's very course."""
    session = play(CourseSession(STANDARD))
    assert session.finished
    assert len(session.procedures) == 2
    assert session.score().points == 100
    assert not session.score().deviations
    assert course_record(session.course) == course_record(simulate_course(STANDARD))


@settings(max_examples=8)
@given(
    name=st.sampled_from(COURSE_SCENARIOS),
    seed=st.integers(0, 2**32 - 1),
    index=st.integers(0, 5),
)
def test_the_expert_path_loses_nothing_at_the_course_level(name: str, seed: int, index: int):
    """On any recipient, the expert path makes no decision deviation and scores its procedures'
    mean: 100 where the simulator's policy meets no refusal."""
    session = play(CourseSession(library.load(name), seed, index))
    score = session.score()
    assert not score.deviations
    procedures = [s.score().points for s in session.procedures]
    assert score.points == pytest.approx(
        sum(procedures) / len(procedures) if procedures else 100, abs=0.01
    )
    if all(points == 100 for points in procedures):
        assert score.points == 100
    assert course_record(session.course) == course_record(session.expert)


@settings(max_examples=6)
@given(data=scenarios(), index=st.integers(0, 3))
def test_the_expert_path_loses_nothing_on_generated_scenarios(data: dict[str, Any], index: int):
    """On scenarios over the whole valid range (any outcome, any number of donors), the expert
    path makes no decision deviation and gives simulate_course's course."""
    session = play(CourseSession(Scenario.from_mapping(data), None, index))
    score = session.score()
    assert not score.deviations
    procedures = [s.score().points for s in session.procedures]
    assert score.points == pytest.approx(
        sum(procedures) / len(procedures) if procedures else 100, abs=0.01
    )
    assert course_record(session.course) == course_record(session.expert)


def _thrombosis_scenario() -> Scenario:
    chances = POPULATION.complications.model_copy(update={"portal_vein_thrombosis": 1.0})
    return POPULATION.model_copy(update={"complications": chances})


def test_a_reinfusion_after_a_main_branch_thrombosis_is_refused_with_its_reason():
    """After a main-branch portal-vein thrombosis, asking for a further infusion is refused with
    the reason [S2], changes nothing in the course, and costs a barred_reinfusion."""
    session = play(CourseSession(_thrombosis_scenario(), None, 19), stop_at=0)
    assert session.stage == "decision"
    assert session.procedures[0].case.record.main_branch_thrombosis
    option = session.view().decision.options[0]  # guided: judged before it is given
    assert option.reinfuse
    assert option.accepted is False
    assert any("main-branch portal-vein thrombosis" in reason for reason in option.failures)
    before = session.course.snapshot()
    decision = session.decide(True)
    assert not decision.accepted
    assert any("main-branch portal-vein thrombosis" in r for r in decision.refusals)
    assert session.course.snapshot() == before
    assert session.stage == "decision"
    [deviation] = session.score().deviations
    assert deviation.kind == "barred_reinfusion"
    assert session.decide(False).accepted
    assert session.finished
    assert session.course.infusions == 1


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1), index=st.integers(0, 5), again=st.booleans())
def test_a_refused_decision_changes_nothing(seed: int, index: int, again: bool):
    """Whatever the recipient, a refused decision leaves the course, its stage and its
    procedures as they were; the course goes on as if it had not been asked."""
    scenario = STANDARD.model_copy(
        update={"protocol": STANDARD.protocol.model_copy(update={"max_infusions": 1})}
    )
    session = play(CourseSession(scenario, seed, index), stop_at=0)
    if session.stage != "decision":
        return  # no product infused: no decision to refuse
    before = (session.course.snapshot(), len(session.procedures), session.stage)
    decision = session.decide(True)
    assert not decision.accepted
    assert "the most infusions (1) given" in decision.refusals
    assert (session.course.snapshot(), len(session.procedures), session.stage) == before
    if again:
        assert not session.decide(True).accepted
    session.decide(False)
    untouched = play(CourseSession(scenario, seed, index), [False])
    assert course_record(session.course) == course_record(untouched.course)


def test_decisions_against_the_rule_are_deviations_and_take_effect():
    """Declining an infusion the rule calls for ends the course with one infusion (-20); asking
    for one though insulin-independent plays a third donor (-15)."""
    declined = play(CourseSession(STANDARD), [False])
    assert declined.finished
    assert declined.course.infusions == 1
    [deviation] = declined.score().deviations
    assert deviation.kind == "declined_reinfusion"
    assert deviation.cost == 20
    assert declined.score().points == 80
    assert "not insulin-independent" in deviation.reasons[0]

    extra = play(CourseSession(STANDARD), [True, True, False])
    assert [d.kind for d in extra.score().deviations] == ["unneeded_reinfusion"]
    assert len(extra.procedures) == 3
    assert extra.course.infusions == 3


def test_the_debrief_shows_the_recipients_function_over_the_years():
    """The debrief lists years 1-5 after the first infusion, the trainee's beside the expert's,
    as data and as text; a declined infusion shows in the numbers."""
    result = play(CourseSession(STANDARD), [False]).debrief()
    assert [row.year for row in result.function] == [1, 2, 3, 4, 5]
    assert all(row.trainee is not None and row.expert is not None for row in result.function)
    assert result.infusions == 1
    assert result.expert_infusions == 2
    year_2 = result.function[1]
    assert year_2.expert.insulin_independent
    assert not year_2.trainee.insulin_independent
    text = result.text()
    for heading in ("C-peptide", "insulin", "HbA1c", "severe", "Igls", "independent"):
        assert heading in text
    assert text.count("  you  ") >= 6
    assert text.count("  expert  ") >= 6
    assert json.loads(result.model_dump_json())["function"][4]["year"] == 5


def test_a_snapshot_mid_course_restores_and_goes_on_identically():
    """Saved in the second procedure (after a decision), restored from JSON, the session goes on
    to the same course, score and debrief as one never stopped."""
    whole = play(CourseSession(STANDARD))
    session = play(CourseSession(STANDARD), stop_at=0)
    session.decide(True)
    second = session.current
    moves = moves_of(second.expert)
    walk(second.case, second.lab, moves[:5])
    saved = session.snapshot().model_dump_json()
    restored = CourseSession.restore(saved)
    assert restored.snapshot() == CourseSessionSnapshot.model_validate_json(saved)
    current = restored.current
    walk(current.case, current.lab, moves[5:])
    play(restored)
    assert restored.debrief() == whole.debrief()


def test_an_edited_snapshot_is_refused():
    """A snapshot whose recorded decision was changed does not restore, naming what."""
    session = play(CourseSession(STANDARD), stop_at=0)
    session.decide(True)
    data = session.snapshot().model_dump(mode="json")
    data["decisions"][0]["rule_reinfuse"] = False  # what the rule said, rewritten
    with pytest.raises(InvalidInput, match=r"decisions\.0"):
        CourseSession.restore(data)
    data = session.snapshot().model_dump(mode="json")
    data["decisions"][0]["reinfuse"] = False  # then the second donor was never reached
    with pytest.raises(InvalidInput, match="procedures"):
        CourseSession.restore(data)


def test_deciding_or_acting_out_of_turn_is_bad_input():
    """A decision while a procedure is played, or an act at a decision, names the stage."""
    session = CourseSession(STANDARD)
    with pytest.raises(InvalidInput, match="stage"):
        session.decide(True)
    play(session, stop_at=0)
    with pytest.raises(InvalidInput, match="stage"):
        session.act("note", text="too late")


def _line(step: PlanStep) -> str:
    if step.action is None:
        return f"wait {step.after}"
    words = [step.action, *([f"after={step.after}"] if step.after else [])]
    for name, value in step.choices.items():
        text = ",".join(value) if isinstance(value, list) else str(value)
        words.append(f"{name}={shlex.quote(text)}")
    return " ".join(words)


def test_the_terminal_trainer_plays_a_course_with_its_decision_prompt():
    """isletflow train --course: the expert's moves, a refused-free decision prompt, a declined
    infusion, and the course debrief with the years."""
    course = simulate_course(STANDARD)
    script = [_line(step) for step in moves_of(course.cases[0].timeline)]
    script += ["help", "score", "decline"]
    result = CliRunner().invoke(main, ["train", "--course"], input="\n".join(script) + "\n")
    out = result.output
    assert result.exit_code == 0, out
    assert "Re-infusion decision" in out
    assert "Graft assessment: C-peptide" in out
    assert "[ok] reinfuse" in out
    assert "! The protocol's rule gives a further infusion" in out
    assert "decided: no further infusion" in out
    assert "Course debrief: standard" in out
    assert "declined_reinfusion" in out
    assert "Score:      80 / 100" in out
    assert "The recipient's function, years after the first infusion" in out


def test_the_terminal_trainer_prints_the_course_debrief_as_json():
    """--course --json ends with the course debrief as JSON, years and all."""
    course = simulate_course(STANDARD)
    script = [_line(step) for step in moves_of(course.cases[0].timeline)] + ["quit"]
    result = CliRunner().invoke(
        main, ["train", "--course", "--json"], input="\n".join(script) + "\n"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("\n{") :])
    assert not data["finished"]
    assert data["procedures"][0]["points"] == 100
    years = data["function"]
    assert [row["year"] for row in years] == [1, 2, 3, 4, 5]
    assert years[0]["trainee"] is not None
    assert years[1]["trainee"] is None


def test_the_course_example_in_the_training_docs_runs_and_prints_what_it_says():
    """docs/training.md's course example runs and prints the lines it promises."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text("utf-8")
    block = text.split("## Training over a recipient's course", 1)[1]
    code = block.split("```python\n", 1)[1].split("```", 1)[0]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "docs/training.md", "exec"), {})
    promised = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    assert output.getvalue().splitlines() == promised
