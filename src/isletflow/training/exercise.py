"""Exercises: a case to train on, the lab that measures it, and the expert path through it.

``Exercise`` is the one thing a front end (the ``isletflow train`` command, a web app) needs to
start a session. ``Exercise.from_scenario`` trains on case ``index`` of a scenario under a seed:
a ``ScenarioLab`` measures the sampled values, and the expert path is the simulator's
(``simulate(scenario, seed, index)``) on that same sampled case. ``standard_exercise`` is the
bundled standard case for an approach. ``moves_of`` turns a timeline back into the moves a trainee
makes to reproduce it, and ``walk`` makes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .. import library
from ..case import Case
from ..clock import Clock, SimulatedClock
from ..course_run import DonorSlot
from ..duration import format_duration
from ..models import Approach
from ..scenario import Scenario
from ..simulation import StandardPolicy, run, start
from ..timeline import Accepted, Advanced, Event, Refused, Timeline
from .lab import MEASURED, Lab, ScenarioLab, act_with_lab
from .rubric import Rubric
from .session import TrainingSession
from .view import Mode

__all__ = ["Exercise", "PlanStep", "moves_of", "standard_exercise", "walk"]

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One move of a scripted path: an action, the wait before it, the choices it takes.

    ``action`` None is a plain wait of ``after``.
    """

    action: str | None
    after: str | None = None
    choices: Mapping[str, Any] = field(default_factory=dict)


def walk(case: Case, lab: Lab, plan: Iterable[PlanStep]) -> Case:
    """Make every move of ``plan`` on ``case``, measured by ``lab``; returns the case."""
    for step in plan:
        if step.action is None:
            case.advance(step.after or _ZERO)
        else:
            act_with_lab(case, lab, step.action, step.after, step.choices)
    return case


def moves_of(timeline: Sequence[Event]) -> tuple[PlanStep, ...]:
    """The moves a trainee makes to reproduce ``timeline`` (an expert path, say).

    Each accepted or refused action, with the wait since the move before it and the data less
    what the lab measures (the trainee's choices); each advance of the clock as a plain wait.
    The consequences (warnings, deadlines, automatic steps) follow from the moves. Walked on a
    fresh copy of the case with the same lab, they give the same timeline.
    """
    events = Timeline(timeline)
    moves, last = [], events.created.at
    for event in events:
        if isinstance(event, Accepted | Refused):
            measured = MEASURED.get(event.action, frozenset())
            choices = {k: v for k, v in event.data.items() if k not in measured}
            moves.append(PlanStep(event.action, _wait(event.at - last), choices))
        elif isinstance(event, Advanced):
            moves.append(PlanStep(None, format_duration(event.at - last)))
        else:
            continue
        last = event.at
    return tuple(moves)


def _wait(span: timedelta) -> str | None:
    return format_duration(span) if span else None


@dataclass(frozen=True, slots=True)
class Exercise:
    """What a session trains on; ``new_case(clock)`` makes a fresh copy of the case."""

    name: str
    new_case: Callable[[Clock | None], Case]
    lab: Lab
    expert: Sequence[Event]

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario | str,
        seed: int | None = None,
        index: int = 0,
        *,
        slot: DonorSlot | None = None,
    ) -> Exercise:
        """Case ``index`` of ``scenario`` (a ``Scenario`` or a bundled name) under ``seed``;
        with ``slot``, the recipient's later donor there (``simulate_course``'s case of it).

        The seed is the argument, else the scenario's own, else 0 (as ``simulate`` chooses).
        The expert path is the simulator's policy on the same sampled case.
        """
        if isinstance(scenario, str):
            name, scenario = scenario, library.load(scenario)
        else:
            name = scenario.name or "scenario"
        chosen = scenario.seed_for(seed)
        lab = ScenarioLab.of(scenario, chosen, index, slot)
        plan = lab.plan

        def new_case(clock: Clock | None = None) -> Case:
            clock = clock if clock is not None else SimulatedClock(plan.donor.cross_clamp_at)
            return Case.new(plan.donor, plan.recipient, plan.approach, plan.protocol, clock)

        expert = run(*start(plan), StandardPolicy()).timeline
        title = f"{name} (seed {chosen}, case {index})"
        if slot is not None and slot.donor > 1:
            title = f"{name} (seed {chosen}, recipient {index}, donor {slot.donor})"
        return cls(title, new_case, lab, Timeline(list(expert)))

    def session(
        self, clock: Clock | None = None, rubric: Rubric | None = None, mode: Mode = "guided"
    ) -> TrainingSession:
        """A new session on this exercise, ``guided`` or ``assessment`` (``Mode``)."""
        case = self.new_case(clock)
        return TrainingSession(case, self.lab, self.expert, rubric, exercise=self.name, mode=mode)


_STANDARD_SCENARIOS = {
    Approach.PERCUTANEOUS: "standard",
    Approach.LAPAROSCOPIC: "approach_laparoscopic",
    Approach.OPEN: "approach_open",
}


def standard_exercise(approach: Approach | str = Approach.PERCUTANEOUS) -> Exercise:
    """The standard case by ``approach`` as an exercise: its bundled scenario.

    ``standard`` for the percutaneous approach (the case of ``examples/standard_case.py``),
    ``approach_laparoscopic`` and ``approach_open`` for the others.
    """
    return Exercise.from_scenario(_STANDARD_SCENARIOS[Approach(approach)])
