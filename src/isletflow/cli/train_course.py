"""``isletflow train --course``: a recipient's course in the terminal.

Each donor's procedure is played as ``isletflow train`` plays one case (the same commands, the
same ``step``, ``show`` and line reader, which ``train`` passes in: ``Parts``), and its debrief
is printed when it ends. At each re-infusion decision the
trainee sees the graft assessment and types ``reinfuse`` or ``decline``; ``score`` and
``debrief`` then give the course's. At the end the course debrief shows the recipient's
function over the follow-up years beside the expert's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeAlias

import click

from .. import library
from ..duration import spoken
from ..errors import InvalidInput
from ..training.course_debrief import CourseRubric, assessment_text
from ..training.course_session import CourseSession, DecisionView, course_title
from ..training.rubric import Rubric
from ..training.session import TrainingSession
from ..training.view import Mode, View

Parts: TypeAlias = tuple[
    Callable[[View], str],  # show: a procedure's state as text
    Callable[[TrainingSession, str, Callable[[str], None]], bool],  # step: carry out one line
    Callable[[TrainingSession], Callable[[], str | None]],  # a line reader for a procedure
]

DECISION_HELP = """\
A re-infusion decision waits:
  reinfuse           list the recipient for another donor's infusion
  decline            no further infusion; the follow-up goes on
  look               show the decision again
  score              the course's score so far
  debrief            the course's debrief so far
  quit               end the session and show the course's debrief"""


def decision_text(view: DecisionView, points: float, full_marks: float) -> str:
    """The decision waiting for the trainee, as text."""
    lines = [
        f"== Re-infusion decision: {spoken(view.since_last_infusion)} after infusion "
        f"{view.infusions} ({view.at:%Y-%m-%d}) | course score {points:g}/{full_marks:g} ==",
        f"Graft assessment: {assessment_text(view.assessment)}",
        f"Infusions so far: {view.infusions} ({view.cumulative_ieq_per_kg:,.0f} IEQ/kg delivered)",
        "Decide:",
    ]
    for option in view.options:
        mark = {True: "[ok]", False: "[no]", None: "[  ]"}[option.accepted]
        what = "reinfuse" if option.reinfuse else "decline"
        lines.append(f"  {mark} {what}")
        lines += [f"         - {reason}" for reason in option.failures]
        lines += [f"         ! {warning}" for warning in option.warnings]
    return "\n".join(lines)


def _decision_step(session: CourseSession, line: str, echo: Callable[[str], None]) -> bool:
    """Carry out one line typed at a decision; False when the session should stop."""
    head = line.strip().split(" ", 1)[0]
    score = session.score()
    if head in ("quit", "exit"):
        return False
    if head in ("reinfuse", "decline"):
        decision = session.decide(head == "reinfuse")
        if decision.accepted:
            echo(f"decided: {'a further infusion' if decision.reinfuse else 'no further infusion'}")
        else:
            echo("refused: reinfuse")
            echo("\n".join(f"  - {reason}" for reason in decision.refusals))
        return True
    if head == "score":
        lost = "".join(f"\n  -{d.cost:g}  {d.kind}" for d in score.deviations)
        points = ", ".join(f"{p:g}" for p in score.procedures)
        echo(f"course score {score.points:g}/{score.full_marks:g} (procedures: {points}){lost}")
    elif head == "debrief":
        echo(session.debrief().text())
    elif head in ("help", "?"):
        echo(DECISION_HELP)
    elif head in ("", "look"):
        view = session.view().decision
        if view is not None:
            echo(decision_text(view, score.points, score.full_marks))
    else:
        echo(f"error: {head!r} is not a decision; type reinfuse, decline or help")
    return True


def train_course(
    scenario: str | None,
    seed: int | None,
    index: int,
    factor: float | None,
    rubric: Rubric | None,
    mode: Mode,
    as_json: bool,
    xapi_path: str | None,
    parts: Parts,
) -> None:
    """Train on recipient ``index``'s course of ``scenario`` in the terminal (module docstring)."""
    if xapi_path:
        raise click.UsageError("--xapi is not available with --course yet")
    name, loaded = library.resolve(scenario or "standard")
    chosen = loaded.seed_for(seed)
    own = name if mode == "guided" else (loaded.name or "scenario")
    session = CourseSession(
        loaded,
        seed,
        index,
        rubric=CourseRubric(procedure=rubric or Rubric()),
        mode=mode,
        exercise=course_title(own, chosen, index),
        factor=factor,
    )
    click.echo(f"Training a course ({mode}): {session.exercise}. Type help for the commands.")
    if loaded.description:
        click.echo(f"Case brief: {loaded.description}")
    show, step, reader = parts
    shown: Any = None  # the procedure, or the decision, last introduced
    read: Callable[[], str | None] = _plain
    while not session.finished:
        current = session.current
        if current is not None:
            if shown is not current:
                shown, read = current, reader(current)
                click.echo(f"\n=== {current.exercise} ===")
                click.echo(show(current.view()))
            line = read()
            if line is None or not step(current, line, click.echo):
                if not current.finished:
                    break
                click.echo("\n" + current.debrief().text() + "\n")
            continue
        view = session.view()
        if view.decision is not None and shown != (view.decision.at, len(session.decisions)):
            shown = (view.decision.at, len(session.decisions))
            click.echo(
                "\n" + decision_text(view.decision, view.score.points, view.score.full_marks)
            )
        line = _plain("decide> ")
        try:
            if line is None or not _decision_step(session, line, click.echo):
                break
        except InvalidInput as error:
            click.echo(f"error: {error}")
    result = session.debrief()
    click.echo("")
    click.echo(result.model_dump_json(indent=2) if as_json else result.text())


def _plain(prompt: str = "train> ") -> str | None:
    """A decision is one word: a plain line (echoed for the transcript when not typed in a
    terminal, which shows it already)."""
    click.echo(prompt, nl=False)
    line = sys.stdin.readline()
    if not line:
        click.echo()
        return None
    if not sys.stdin.isatty():
        click.echo(line.rstrip("\n"))
    return line
