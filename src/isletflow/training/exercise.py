"""Exercises: a case to train on, the lab that measures it, and the expert path through it.

``Exercise`` is the one thing a front end (the ``isletflow train`` command, a web app) needs to
start a session. ``standard_exercise`` is the built-in one: the standard case of
``examples/standard_case.py``, its values in a ``FixedLab``, and the expert path walked with
``walk``, through the same ``Case.act`` as a trainee. ``Exercise.from_scenario`` trains on case
``index`` of a scenario under a seed: a ``ScenarioLab`` measures the sampled values, and the expert
path is the simulator's (``simulate(scenario, seed, index)``) on that same sampled case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..case import Case
from ..clock import Clock, SimulatedClock
from ..models import Approach, Donor, Recipient
from ..scenario import Scenario
from ..timeline import Event, Timeline
from .lab import FixedLab, Lab, act_with_lab
from .rubric import Rubric
from .session import TrainingSession

__all__ = ["Exercise", "PlanStep", "standard_exercise", "standard_plan", "walk"]


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One step of a scripted path: an action, the wait before it, the choices it takes."""

    action: str
    after: str | None = None
    choices: Mapping[str, Any] = field(default_factory=dict)


def walk(case: Case, lab: Lab, plan: Iterable[PlanStep]) -> Case:
    """Take every step of ``plan`` on ``case``, measured by ``lab``; returns the case."""
    for step in plan:
        act_with_lab(case, lab, step.action, step.after, step.choices)
    return case


@dataclass(frozen=True, slots=True)
class Exercise:
    """What a session trains on; ``new_case(clock)`` makes a fresh copy of the case."""

    name: str
    new_case: Callable[[Clock | None], Case]
    lab: Lab
    expert: Sequence[Event]

    @classmethod
    def from_scenario(
        cls, scenario: Scenario | str, seed: int | None = None, index: int = 0
    ) -> Exercise:
        """Case ``index`` of ``scenario`` (a ``Scenario`` or a bundled name) under ``seed``.

        The seed is the argument, else the scenario's own, else 0 (as ``simulate`` chooses).
        """
        from .. import library
        from ..simulation import simulate  # numpy: loaded only for a scenario
        from .scenario_lab import ScenarioLab

        if isinstance(scenario, str):
            name, scenario = scenario, library.load(scenario)
        else:
            name = scenario.name or "scenario"
        chosen = seed if seed is not None else scenario.seed if scenario.seed is not None else 0
        lab = ScenarioLab.of(scenario, chosen, index)
        plan = lab.plan

        def new_case(clock: Clock | None = None) -> Case:
            clock = clock if clock is not None else SimulatedClock(plan.donor.cross_clamp_at)
            return Case.new(plan.donor, plan.recipient, plan.approach, plan.protocol, clock)

        expert = simulate(scenario, chosen, index).timeline
        title = f"{name} (seed {chosen}, case {index})"
        return cls(title, new_case, lab, Timeline(list(expert)))

    def session(self, clock: Clock | None = None, rubric: Rubric | None = None) -> TrainingSession:
        """A new session on this exercise."""
        return TrainingSession(self.new_case(clock), self.lab, self.expert, rubric,
                               exercise=self.name)  # fmt: skip


def standard_plan(approach: Approach | str = Approach.PERCUTANEOUS) -> tuple[PlanStep, ...]:
    """The expert walk of ``examples/standard_case.py``, choices and timing only.

    About 9 h of isolation and purification [S25, S27], a day of culture within the 72 h window
    [S29-S31], induction 2 h before infusion [S1], 70 U/kg heparin [S20], a 25 min infusion [S26].
    """
    approach = Approach(approach)
    spec = approach.spec
    access: dict[str, Any] = {"anesthesia": spec.anesthesia.value}
    if spec.imaging:
        access["imaging"] = sorted(i.value for i in spec.imaging)
    seal = {"track_sealant": "gelfoam"} if approach is Approach.PERCUTANEOUS else {}
    return (
        PlanStep("start_isolation", "6h"),
        PlanStep("finish_digestion", "4h"),
        PlanStep("start_culture", "5h"),
        PlanStep("submit_for_release", "24h"),
        PlanStep("record_release_tests", "3h"),
        PlanStep("release"),
        PlanStep("give_induction", "30min", {"agent": "rabbit ATG"}),
        PlanStep("add_heparin", None, {"units_per_kg": 70}),
        PlanStep("access_portal_vein", "90min", access),
        PlanStep("record_portal_pressure", "10min"),
        PlanStep("start_infusion", "20min"),
        PlanStep("record_portal_pressure", "12min"),
        PlanStep("complete_infusion", "13min"),
        PlanStep("record_portal_pressure"),
        PlanStep("seal_access", "15min", seal),
        PlanStep("record_trough", "3d", {"drug": "tacrolimus"}),
        PlanStep("start_follow_up", "4d"),
        PlanStep("assess_graft", "83d"),
    )


STANDARD_DONOR = Donor(
    age_years=42, preservation_solution="UW", cross_clamp_at=datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
)
STANDARD_RECIPIENT = Recipient(id="R-001", weight_kg=70)


def standard_exercise(approach: Approach | str = Approach.PERCUTANEOUS) -> Exercise:
    """The standard case of ``examples/standard_case.py`` as an exercise."""
    approach = Approach(approach)

    def new_case(clock: Clock | None = None) -> Case:
        return Case.new(STANDARD_DONOR, STANDARD_RECIPIENT, approach, clock=clock)

    lab = FixedLab()
    expert = walk(new_case(None), lab, standard_plan(approach)).timeline
    return Exercise(f"standard {approach.value} case", new_case, lab, Timeline(list(expert)))
