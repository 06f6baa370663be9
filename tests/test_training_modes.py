"""Guided and assessment modes: an assessment session judges no action before it is tried.

The same session view serves both (``View.mode``): in ``guided`` every possible action comes
with its verdict and reasons; in ``assessment`` only what may be tried, and the verdict comes with
the attempt. The bundled scenarios' titles and briefs, shown to trainees, name no failure code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from isletflow import library
from isletflow import workflow as wf
from isletflow.cli import main
from isletflow.errors import InvalidInput
from isletflow.guards import GUARDS
from isletflow.release import RELEASE_TESTS
from isletflow.service import create_app
from isletflow.simulation import simulate
from isletflow.timeline import Refused, Warned
from isletflow.training import Exercise, TrainingSession, moves_of, walk
from isletflow.training.exercise import PlanStep

NAME = "portal_pressure_high"  # the expert's start_infusion is refused on the baseline pressure


def _moves_before(name: str, action: str) -> list[PlanStep]:
    moves = list(moves_of(simulate(library.load(name)).timeline))
    return moves[: [m.action for m in moves].index(action)]


def _reason(name: str, action: str) -> str:
    """The guard's sentence a guided session shows for ``action`` before it is tried."""
    session = Exercise.from_scenario(name).session()
    walk(session.case, session.lab, _moves_before(name, action))
    [view] = [a for a in session.view().allowed if a.action == action]
    assert view.accepted is False
    assert view.failures
    return view.failures[0].message


# -- Python ----------------------------------------------------------------------------------


def test_an_assessment_view_judges_nothing_until_tried() -> None:
    """Every action is listed with its choices, none with a verdict; trying one gives it."""
    guided = Exercise.from_scenario(NAME).session()
    session = Exercise.from_scenario(NAME).session(mode="assessment")
    for s in (guided, session):
        walk(s.case, s.lab, _moves_before(NAME, "start_infusion"))
    view, shown = session.view(), guided.view()
    assert (view.mode, shown.mode) == ("assessment", "guided")
    assert [a.action for a in view.allowed] == [a.action for a in shown.allowed]
    assert [a.choices for a in view.allowed] == [a.choices for a in shown.allowed]
    assert all(a.accepted is None and not a.failures and not a.warnings for a in view.allowed)
    result = session.act("start_infusion")
    assert not result.accepted
    assert [f.code for f in result.failures] == ["portal_pressure_high"]


def test_the_mode_survives_a_snapshot_and_a_bad_mode_is_refused() -> None:
    session = Exercise.from_scenario(NAME).session(mode="assessment")
    assert TrainingSession.restore(session.snapshot().model_dump_json()).mode == "assessment"
    exercise = Exercise.from_scenario(NAME)
    with pytest.raises(InvalidInput, match="mode"):
        exercise.session(mode=cast(Any, "exam"))


# -- HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(tmp_path / "s.sqlite3"))) as test_client:
        yield test_client


def _start(client: TestClient, mode: str) -> dict[str, Any]:
    response = client.post("/api/v1/sessions", json={"scenario": NAME, "mode": mode})
    assert response.status_code == 201, response.text
    view: dict[str, Any] = response.json()
    for step in _moves_before(NAME, "start_infusion"):
        if step.action is None:
            body = {"by": step.after, "expected_version": view["version"]}
            view = client.post(f"/api/v1/sessions/{view['id']}/advance", json=body).json()[
                "session"
            ]
            continue
        body = {"action": step.action, "expected_version": view["version"], "data": step.choices}
        if step.after:
            body["after"] = step.after
        view = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()["session"]
    return view


def test_the_http_view_shows_no_guard_reason_for_an_untried_action(client: TestClient) -> None:
    reason = _reason(NAME, "start_infusion")
    guided = _start(client, "guided")
    assert reason in str(guided["allowed"])  # the same view, guided, gives it away
    view = _start(client, "assessment")
    assert view["mode"] == "assessment"
    assert view["state"] == guided["state"]
    assert reason not in client.get(f"/api/v1/sessions/{view['id']}").text
    assert all(a["accepted"] is None and not a["failures"] for a in view["allowed"])
    assert view["scenario"] is None
    assert NAME not in view["exercise"]
    body = {"action": "start_infusion", "expected_version": view["version"], "data": {}}
    tried = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()
    assert not tried["accepted"]
    assert tried["failures"][0]["message"] == reason


def test_an_unknown_mode_is_a_422(client: TestClient) -> None:
    response = client.post("/api/v1/sessions", json={"scenario": NAME, "mode": "exam"})
    assert response.status_code == 422
    assert "mode" in response.text


def test_the_mode_is_kept_when_another_process_restores_the_session(tmp_path: Path) -> None:
    db = str(tmp_path / "s.sqlite3")
    with TestClient(create_app(db)) as first:
        view = _start(first, "assessment")
    with TestClient(create_app(db)) as second:
        again = second.get(f"/api/v1/sessions/{view['id']}").json()
    assert again == view
    assert again["mode"] == "assessment"


# -- Terminal ----------------------------------------------------------------------------------


def _line(step: PlanStep) -> str:
    if step.action is None:
        return f"wait {step.after}"
    words = [step.action, *([f"after={step.after}"] if step.after else [])]
    for name, value in step.choices.items():
        text = ",".join(value) if isinstance(value, list) else str(value)
        words.append(f"{name}='{text}'")
    return " ".join(words)


def test_the_terminal_trainer_shows_no_guard_reason_for_an_untried_action() -> None:
    reason = _reason(NAME, "start_infusion")
    lines = [_line(step) for step in _moves_before(NAME, "start_infusion")]
    script = "\n".join([*lines, "look", "start_infusion", "quit"]) + "\n"
    guided = CliRunner().invoke(main, ["train", NAME], input=script).output
    out = CliRunner().invoke(main, ["train", NAME, "--mode", "assessment"], input=script).output
    assert f"[no] start_infusion\n         - {reason}" in guided
    before, _, after = out.partition("train> start_infusion\n")
    assert after, out
    assert reason not in before
    assert "[no]" not in before
    assert "[ok]" not in before
    assert "[  ] start_infusion" in before
    assert f"refused: start the infusion\n  - {reason}" in after
    assert "Training (assessment): " in out
    assert NAME not in out.splitlines()[0]


# -- Titles and briefs -------------------------------------------------------------------------


def _failure_codes() -> set[str]:
    """The codes a case can fail with: guards, release tests, deadlines, and every refusal,
    warning and outcome code the bundled scenarios' expert paths produce."""
    codes = set(GUARDS) | {t.subcode for t in RELEASE_TESTS}
    codes |= {d.code for d in wf.DEADLINES.values()} | set(wf.DEADLINES)
    for name in library.names():
        timeline = simulate(library.load(name)).timeline
        for event in timeline:
            if isinstance(event, Refused):
                codes |= {r.code for r in event.failures}
                codes |= {r.subcode for r in event.failures if r.subcode}
            elif isinstance(event, Warned):
                codes.add(event.warning.code)
        outcome = timeline.outcome
        if outcome is not None and outcome.code:
            codes.add(outcome.code)
    return codes


def test_no_bundled_title_or_brief_names_a_failure_code() -> None:
    codes = _failure_codes()
    assert {"identity_mismatch", "portal_pressure_high", "cold_ischemia_exceeded"} <= codes
    for entry in library.entries():
        shown = f"{entry.title}\n{entry.description}".lower()
        for code in codes:
            for written in (code, code.replace("_", " ")):
                found = re.search(rf"\b{re.escape(written)}\b", shown)
                assert found is None, f"{entry.name} names {code!r}: {shown}"


def test_the_score_command_breaks_the_points_down_by_kind() -> None:
    """score lists the points lost by kind; guided also each deviation, assessment holds those
    back for the debrief."""
    script = "release\nscore\nquit\n"
    guided = CliRunner().invoke(main, ["train"], input=script).output
    assessed = CliRunner().invoke(main, ["train", "--mode", "assessment"], input=script).output
    for out in (guided, assessed):
        assert "train> score\nscore 99/100\n  -1  refused (total)\n" in out
    assert "    -1  refused [not_allowed] release" in guided
    assert "[not_allowed]" not in assessed.partition("train> score")[2].partition("train>")[0]


# -- What an assessment shows when -------------------------------------------------------------

STANDARD = "standard"
EXPERT_AGENT = "the expert path gives"  # words of the wrong_induction reason: the answer


def _aspirin(mode: str) -> TrainingSession:
    """The standard case up to the induction, given as aspirin (a wrong_induction)."""
    session = Exercise.from_scenario(STANDARD).session(mode=cast(Any, mode))
    walk(session.case, session.lab, _moves_before(STANDARD, "give_induction"))
    assert session.act("give_induction", agent="aspirin").accepted
    return session


def test_an_assessment_withholds_deviation_reasons_until_the_case_ends() -> None:
    """Mid-case, an assessment's view shows each deviation's kind and cost but no reason (which
    names the expert's path); once the case has ended, the reasons are shown."""
    guided, session = _aspirin("guided"), _aspirin("assessment")
    assert EXPERT_AGENT in str(guided.view().score)
    shown = session.view().score
    assert shown.points == guided.view().score.points < 100
    assert [d.kind for d in shown.deviations] == ["wrong_induction"]
    assert all(d.reasons == () for d in shown.deviations)
    assert EXPERT_AGENT not in session.view().model_dump_json()
    assert session.act("abort", reason="recipient_unstable").accepted
    assert EXPERT_AGENT in str(session.view().score)


def test_the_http_score_and_debrief_wait_for_the_end_of_an_assessment(client: TestClient) -> None:
    """GET score gives no reasons and GET debrief is a 422 naming the mode while an assessment
    goes on; after an abort both give everything."""
    view = client.post("/api/v1/sessions", json={"scenario": STANDARD, "mode": "assessment"}).json()
    url = f"/api/v1/sessions/{view['id']}"
    for step in [*_moves_before(STANDARD, "give_induction"), PlanStep("give_induction")]:
        data = {"agent": "aspirin"} if step.action == "give_induction" else step.choices
        body: dict[str, Any] = {"expected_version": view["version"]}
        if step.action is None:
            view = client.post(f"{url}/advance", json={**body, "by": step.after}).json()
        else:
            body |= {"action": step.action, "data": data, "after": step.after}
            body = {k: v for k, v in body.items() if v is not None}
            view = client.post(f"{url}/act", json=body).json()
        view = view["session"]
    score = client.get(f"{url}/score")
    assert [d["kind"] for d in score.json()["deviations"]] == ["wrong_induction"]
    assert EXPERT_AGENT not in score.text
    assert EXPERT_AGENT not in client.get(url).text
    for path in ("debrief", "debrief.txt"):
        early = client.get(f"{url}/{path}")
        assert early.status_code == 422
        assert "assessment" in early.text
    body = {"action": "abort", "expected_version": view["version"], "data": {"reason": "x"}}
    assert client.post(f"{url}/act", json=body).json()["accepted"]
    assert EXPERT_AGENT in client.get(f"{url}/score").text
    assert EXPERT_AGENT in client.get(f"{url}/debrief").text


def test_the_terminal_debrief_command_waits_for_the_end_of_an_assessment() -> None:
    """debrief mid-assessment says when it comes; quit ends the attempt and shows it all."""
    lines = [_line(step) for step in _moves_before(STANDARD, "give_induction")]
    script = "\n".join([*lines, "give_induction agent=aspirin", "debrief", "quit"]) + "\n"
    out = CliRunner().invoke(main, ["train", "--mode", "assessment"], input=script).output
    mid, _, end = out.partition("The debrief comes when the case has ended")
    assert end, out
    assert EXPERT_AGENT not in mid
    assert EXPERT_AGENT in end
