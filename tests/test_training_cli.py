"""`isletflow train`: scripted through standard input, and once in a real terminal (tmux)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from isletflow.cli import main
from isletflow.training import PlanStep, moves_of, standard_exercise


def _line(step: PlanStep) -> str:
    if step.action is None:
        return f"wait {step.after}"
    words = [step.action]
    if step.after:
        words.append(f"after={step.after}")
    for name, value in step.choices.items():
        text = ",".join(value) if isinstance(value, list) else str(value)
        words.append(f"{name}={shlex.quote(text)}")
    return " ".join(words)


EXPERT_LINES = [_line(step) for step in moves_of(standard_exercise().expert)]


def test_expert_script_on_stdin_scores_full_marks() -> None:
    """The expert's moves typed as commands complete the case and the debrief says 100 / 100."""
    result = CliRunner().invoke(main, ["train"], input="\n".join(EXPERT_LINES) + "\n")
    assert result.exit_code == 0, result.output
    assert "accepted: assess the graft; now completed" in result.output
    assert "Score:    100 / 100" in result.output
    assert "No deviations" in result.output


def test_mistakes_on_stdin_are_explained_and_debriefed() -> None:
    """Refusals print their reasons, bad input its rule, and the debrief prices each mistake."""
    script = [
        "look",
        "release",
        "help start_isolation",
        "start_isolation after=9h",
        "finish_digestion digest_ieq=700000",
        "finish_digestion after=4h",
        "wait 2d",
        "quit",
    ]
    result = CliRunner().invoke(main, ["train"], input="\n".join(script) + "\n")
    out = result.output
    assert result.exit_code == 0, out
    assert "refused: release the product" in out
    # The guard's sentence in words: a state or an action as a trainee reads it, never as typed
    assert "release is not possible in procured (harvest); possible now: start the isolation" in out
    assert "warning: Cold ischaemia is 9 h" in out
    assert "digest_ieq: '700000' is measured by the lab" in out
    assert "Result: Digest: 620,000 IEQ (8,857 IEQ/kg)." in out
    assert "deadline passed" not in out  # 2 d is inside the 72 h window
    assert "Score:    96 / 100" in out
    assert "[cold_ischemia_above_target]" in out


def test_deadline_ends_the_session_with_a_debrief() -> None:
    """Waiting past cold ischaemia ends the case, and the command ends with the debrief."""
    result = CliRunner().invoke(main, ["train"], input="wait 13h\nstart_isolation\n")
    assert result.exit_code == 0, result.output
    ran_out = "the cold ischemia ran out; the case is aborted (cold_ischemia_exceeded)"
    assert f"deadline passed: {ran_out}" in result.output
    # The outcome names the source of the window that ended the case
    assert "Outcome:  aborted (cold_ischemia_exceeded [S5a]), 12 h after cross-clamp" in (
        result.output
    )
    assert "Score:    15 / 100" in result.output  # lost through inaction: below half


def test_writes_xapi_and_json_debrief(tmp_path: Path) -> None:
    """--xapi writes the statements and --json prints the debrief as data."""
    path = tmp_path / "statements.json"
    result = CliRunner().invoke(
        main, ["train", "--json", "--xapi", str(path), "--trainee", "ana",
               "--home-page", "https://lms.example.org"],
        input="\n".join(EXPERT_LINES) + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    statements = json.loads(path.read_text())
    assert statements[0]["actor"]["account"]["name"] == "ana"
    assert statements[-1]["result"]["score"]["raw"] == 100
    start = result.output.index("\n{")
    end = result.output.rindex("}") + 1
    debrief = json.loads(result.output[start:end])
    assert debrief["points"] == 100
    assert debrief["outcome"]["status"] == "completed"


def test_bad_rubric_file_is_a_clear_error(tmp_path: Path) -> None:
    """A rubric file with a negative weight stops the command with the field named."""
    path = tmp_path / "rubric.yaml"
    path.write_text("weights:\n  refused: -2\n")
    result = CliRunner().invoke(main, ["train", "--rubric", str(path)], input="")
    assert result.exit_code == 1
    assert "weights.refused" in result.output


def _tmux(*args: str, socket: str) -> str:
    done = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True,
                          check=True, timeout=10)  # fmt: skip
    return done.stdout


def _wait_for(text: str, socket: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "train", socket=socket)
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_a_real_terminal_with_completion() -> None:
    """In tmux, Tab completes an action name (prompt_toolkit) and the session ends in a debrief."""
    command = Path(sys.executable).with_name("isletflow")
    socket = f"isletflow-test-{os.getpid()}"
    _tmux("new-session", "-d", "-s", "train", "-x", "160", "-y", "50",
          f"{shlex.quote(str(command))} train; sleep 30", socket=socket)  # fmt: skip
    try:
        _wait_for("train>", socket)
        _tmux("send-keys", "-t", "train", "start_iso", socket=socket)
        _wait_for("train> start_iso", socket)
        _tmux("send-keys", "-t", "train", "Tab", socket=socket)
        _wait_for("train> start_isolation", socket)
        _tmux("send-keys", "-t", "train", " after=6h", "Enter", socket=socket)
        _wait_for("accepted: start the isolation; now digesting (harvest)", socket)
        _tmux("send-keys", "-t", "train", "quit", "Enter", socket=socket)
        screen = _wait_for("Your timeline beside the expert path", socket)
        assert "Score:    100 / 100" in screen
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)


def test_live_clock_option_runs_the_session() -> None:
    """--factor runs the case on an AcceleratedClock; waits and after= still skip ahead."""
    result = CliRunner().invoke(
        main, ["train", "--factor", "60"], input="start_isolation after=6h\nquit\n"
    )
    assert result.exit_code == 0, result.output
    assert "accepted: start the isolation; now digesting (harvest)" in result.output
    assert "Score:    100 / 100" in result.output
