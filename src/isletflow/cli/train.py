"""``isletflow train``: a training session in the terminal.

The trainee types actions (``give_induction agent="rabbit ATG"``), waits (``wait 2h``) and asks
for ``help``; the command shows the state, every possible action with the reasons it would be
refused, the deadlines and the results so far, and prints the debrief when the case ends. It
reads plain lines from standard input when that is not a terminal, so it can be scripted; in a
terminal it uses prompt_toolkit (if installed) for history and completion of action names.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import sys
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from .. import library
from ..clock import AcceleratedClock
from ..duration import spoken
from ..errors import InvalidInput
from ..report import describe
from ..timeline import AutomaticStep, DeadlineFired, Event, Warned
from ..training.exercise import Exercise
from ..training.lab import CHOICES
from ..training.rubric import Rubric
from ..training.session import TrainingSession
from ..training.view import MODES, ActionView, Choice, Mode, View, choices_for, withholds
from ..training.xapi import Actor
from ..wording import action_words, prose, state_words

COMMANDS = ("help", "look", "wait", "score", "debrief", "quit")
HELP = """\
Commands:
  ACTION [after=DURATION] [name=value ...]   take an action, e.g.
      give_induction agent="rabbit ATG"
      access_portal_vein after=90min anesthesia=local_sedation imaging=ultrasound,fluoroscopy
  wait DURATION      let time pass (90min, 6h, 2d, 1h30min); deadlines fire
  look               show the state again
  help [ACTION]      this text, or what ACTION takes
  score              the score so far, the points lost by kind
  debrief            the debrief so far (assessment: once the case has ended)
  quit               end the session and show the debrief
Values the lab or the monitor measures are filled in for you."""


def build_session(
    scenario: str | None = None,
    *,
    seed: int | None = None,
    index: int = 0,
    factor: float | None = None,
    rubric: Rubric | None = None,
    mode: Mode = "guided",
) -> TrainingSession:
    """The session the command trains on: case ``index`` of ``scenario`` under ``seed``.

    ``scenario`` is a bundled name (``isletflow.library``) or a scenario file; without it, the
    bundled ``standard`` scenario. ``factor`` runs the case clock live (1 = real time); without
    it, time moves only when the trainee acts after a wait or waits. In ``assessment`` mode the
    title is the scenario's own (its file name may name the lesson) and no action is judged
    before it is tried.
    """
    name, loaded = library.resolve(scenario or "standard")
    exercise = Exercise.from_scenario(loaded, seed, index)
    if mode == "guided":
        exercise = dataclasses.replace(exercise, name=f"{name}: {exercise.name}")
    clock = AcceleratedClock(exercise.expert[0].at, factor) if factor is not None else None
    return exercise.session(clock=clock, rubric=rubric, mode=mode)


def _field(choice: Choice) -> str:
    value = "|".join(choice.options) if choice.options else "<value>"
    if choice.many:
        value = ",".join(choice.options) if choice.options else "<a>,<b>"
    text = f"{choice.name}={value}"
    return text if choice.required else f"[{text}]"


def _action_line(view: ActionView) -> list[str]:
    mark = {True: "[ok]", False: "[no]", None: "[  ]"}[view.accepted]  # None: not judged
    fields = " ".join(_field(c) for c in view.choices)
    lines = [f"  {mark} {view.action} {fields}".rstrip()]
    lines += [f"         - {r.message}" for r in view.failures]
    lines += [f"         ! {w.message}" for w in view.warnings]
    return lines


def show(view: View, seen: int = 0) -> str:
    """The state of a session as text; results after the first ``seen`` are new."""
    lines = [
        f"== {spoken(view.since_clamp)} after cross-clamp ({view.now:%Y-%m-%d %H:%M} UTC) | "
        f"{state_words(view.state)} | score {view.score.points:g}/{view.score.full_marks:g} =="
    ]
    if view.outcome is not None:
        code = f" ({view.outcome.code})" if view.outcome.code else ""
        lines.append(f"The case has ended: {view.outcome.status}{code}.")
        return "\n".join(lines)
    for d in view.deadlines:
        lines.append(f"Deadline: {prose(d.name)} ({d.code}) in {spoken(d.time_left)}")
    if view.results.alarm:
        lines.append(f"ALARM: {view.results.alarm}")
    new = {(m.at, m.action) for m in view.revealed[seen:]}
    for r in (*view.results.results, *view.results.pressures):
        if (r.at, r.action) in new:
            verdict = {"within": " [within]", "outside": " [OUTSIDE THE LIMIT]"}
            lines.append(f"Result: {r.text}{verdict.get(r.verdict or '', '')}")
    lines.append("Actions possible now:")
    for action in view.allowed:
        lines += _action_line(action)
    return "\n".join(lines)


def score_text(session: TrainingSession) -> str:
    """The score so far with the points lost by kind of deviation; in guided mode each one too
    (in assessment the reasons, which may name the expert's path, wait for the debrief)."""
    result = session.score()
    lines = [f"score {result.points:g}/{result.full_marks:g}"]
    lost: dict[str, float] = {}
    for d in result.deviations:
        lost[d.kind] = lost.get(d.kind, 0.0) + d.cost
    lines += [f"  -{cost:g}  {kind} (total)" for kind, cost in lost.items()]
    if session.mode == "guided":
        lines += [
            f"    -{d.cost:g}  {d.kind} [{d.code}]{f' {d.action}' if d.action else ''}"
            for d in result.deviations
        ]
    return "\n".join(lines)


def _parse(words: list[str]) -> tuple[str, str | None, dict[str, Any]]:
    action, after = words[0], None
    choices: dict[str, Any] = {}
    known = {c.name: c for c in choices_for(action)} if action in CHOICES else {}
    for word in words[1:]:
        name, sep, value = word.partition("=")
        if not sep:
            raise InvalidInput.single(action, word, word, "must be written name=value")
        if name == "after":
            after = value
        elif name in known and known[name].many:
            choices[name] = [v for v in value.split(",") if v]
        else:
            choices[name] = value  # pydantic reads numbers from text
    return action, after, choices


def _events_text(events: Iterable[Event]) -> list[str]:
    """What happened by itself as a step was taken (warnings, deadlines, automatic steps), in
    the debrief's words (``report.describe``)."""
    itself = (Warned, DeadlineFired, AutomaticStep)
    return [": ".join(describe(e, words=True)) for e in events if isinstance(e, itself)]


def step(session: TrainingSession, line: str, echo: Callable[[str], None]) -> bool:
    """Carry out one line the trainee typed; False when the session should stop."""
    try:
        words = shlex.split(line)
    except ValueError as error:
        echo(f"error: {error}")
        return True
    if not words:
        echo(show(session.view()))
        return True
    head = words[0]
    if head in ("quit", "exit"):
        return False
    if head in ("help", "?"):
        if len(words) > 1 and words[1] in CHOICES:
            fields = " ".join(_field(c) for c in choices_for(words[1])) or "(no choices)"
            echo(f"{words[1]} [after=DURATION] {fields}")
        else:
            echo(HELP)
        return True
    if head == "look":
        echo(show(session.view()))
        return True
    if head == "score":
        echo(score_text(session))
        return True
    if head == "debrief":
        if withholds(session.mode, session.finished):
            echo("The debrief comes when the case has ended (assessment); quit ends it now.")
        else:
            echo(session.debrief().text())
        return True
    seen = len(session.view().revealed)
    try:
        if head == "wait":
            if len(words) != 2:
                raise InvalidInput.single(
                    "wait", "duration", " ".join(words[1:]), "must be one duration, e.g. wait 2h"
                )
            events = session.wait(words[1])
            echo(f"waited {words[1]}")
        else:
            action, after, choices = _parse(words)
            result = session.act(action, after=after, **choices)
            events = result.events
            if result.accepted:
                echo(f"accepted: {action_words(action)}; now {state_words(result.state)}")
            else:
                echo(f"refused: {action_words(action)}")
                echo("\n".join(f"  - {prose(f.message)}" for f in result.failures))
    except InvalidInput as error:
        echo(f"error: {error}")
        return True
    for text in _events_text(events):
        echo(text)
    echo(show(session.view(), seen))
    return not session.finished


def _completions(session: TrainingSession, text: str) -> list[str]:
    """What may come next after ``text``: commands and actions possible now, then fields."""
    words = text.split(" ")
    if len(words) == 1:
        return [*COMMANDS, *(check.action for check in session.case.allowed())]
    if words[0] not in CHOICES:
        return []
    names = ["after="]
    for choice in choices_for(words[0]):
        names.append(f"{choice.name}=")
        names += [f"{choice.name}={option}" for option in choice.options or ()]
    return names


def _reader(session: TrainingSession) -> Callable[[], str | None]:
    """A line reader: prompt_toolkit in a terminal, else plain lines echoed for the transcript."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        try:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.completion import Completer, Completion
            from prompt_toolkit.document import Document
        except ImportError:  # the optional extra is not installed: plain lines will do
            pass
        else:

            class Words(Completer):
                def get_completions(self, document: Document, event: Any) -> Iterable[Completion]:
                    before = document.text_before_cursor
                    word = before.rsplit(" ", 1)[-1]
                    for option in _completions(session, before):
                        if option.startswith(word):
                            yield Completion(option, start_position=-len(word))

            prompt: PromptSession[str] = PromptSession(completer=Words())

            def read_terminal() -> str | None:
                try:
                    return prompt.prompt("train> ")
                except (EOFError, KeyboardInterrupt):
                    return None

            return read_terminal

    def read_plain() -> str | None:
        click.echo("train> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            click.echo()
            return None
        click.echo(line.rstrip("\n"))
        return line

    return read_plain


@click.command("train")
@click.argument("scenario", required=False)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed of the scenario's random values (default: the scenario's own).",
)
@click.option(
    "--index",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Which case of the scenario to train on.",
)
@click.option(
    "--factor",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Run the case clock live, FACTOR times real time (1 = real time). "
    "Without it, time moves only with after= and wait.",
)
@click.option(
    "--rubric",
    "rubric_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Rubric overrides (TOML, JSON or YAML).",
)
@click.option(
    "--xapi",
    "xapi_path",
    type=click.Path(dir_okay=False),
    help="Write the xAPI statements (JSON) to this file at the end.",
)
@click.option(
    "--trainee",
    default="trainee",
    show_default=True,
    help="The trainee's account id on the learning platform (xAPI).",
)
@click.option("--trainee-name", help="The trainee's display name in the xAPI statements.")
@click.option(
    "--home-page",
    help="The learning platform of the trainee's account (xAPI; needed with --xapi).",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="guided",
    show_default=True,
    help="guided: every action judged, with its reasons, before it is tried; assessment: "
    "no verdict until an action is tried (the debrief shows everything at the end).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the debrief as JSON.")
@click.option("--course", is_flag=True, help="Train over the recipient's course of infusions.")
def train(
    scenario: str | None,
    seed: int | None,
    index: int,
    factor: float | None,
    rubric_path: str | None,
    xapi_path: str | None,
    trainee: str,
    trainee_name: str | None,
    home_page: str | None,
    mode: Mode,
    as_json: bool,
    course: bool,
) -> None:
    """Train on a case of SCENARIO: take the steps, see why they are refused, get a debrief.

    SCENARIO is a bundled scenario's name (standard, population, portal_pressure_high, …) or a
    scenario file (.yaml, .json); the default is standard. The expert path it is scored against
    is the simulator's on the same sampled case.
    """
    rubric = Rubric.load(rubric_path) if rubric_path else None
    if course:  # the recipient's course (cli/train_course.py), played with this module's parts
        from .train_course import train_course

        parts = (show, step, _reader)
        train_course(scenario, seed, index, factor, rubric, mode, as_json, xapi_path, parts)
        return
    actor = None
    if xapi_path:
        if home_page is None:
            raise click.UsageError("--xapi needs --home-page, the trainee's learning platform")
        actor = _xapi_actor(trainee, home_page, trainee_name)
    session = build_session(
        scenario, seed=seed, index=index, factor=factor, rubric=rubric, mode=mode
    )
    # When the trainee acted, by the wall clock: the xAPI statements' timestamps.
    acted = {0: datetime.now(UTC)}
    click.echo(f"Training ({mode}): {session.exercise}. Type help for the commands.")
    brief = library.resolve(scenario or "standard")[1].description
    if brief:
        click.echo(f"Case brief: {brief}")
    click.echo(show(session.view()))
    read = _reader(session)
    while not session.finished:
        line = read()
        before = len(session.case.timeline)
        if line is None or not step(session, line, click.echo):
            break
        now = datetime.now(UTC)
        acted |= dict.fromkeys(range(before, len(session.case.timeline)), now)
    result = session.debrief()
    click.echo("")
    click.echo(result.model_dump_json(indent=2) if as_json else result.text())
    if xapi_path and actor is not None:
        # A new attempt each run: its own registration and statement ids.
        statements = session.statements(actor, attempt=str(uuid.uuid4()), acted=acted)
        Path(xapi_path).write_text(json.dumps(statements, indent=2) + "\n", encoding="utf-8")
        click.echo(f"\nWrote {len(statements)} xAPI statements to {xapi_path}.")


def _xapi_actor(account: str, home_page: str, name: str | None) -> Actor:
    """The trainee as an xAPI account; a bad option is an ``InvalidInput`` naming it."""
    try:
        return Actor(account_name=account, home_page=home_page, name=name)
    except ValidationError as error:
        raise InvalidInput.from_pydantic("xAPI actor", error) from None
