"""Hypothesis strategies for training sessions: trainee scripts that stray from the expert path.

A script is a list of ``Step``s. It starts from the standard expert plan and, step by step,
keeps it, drops it, changes its wait, or puts a random action or wait before it, so examples
reach every phase while still making every kind of mistake. Shrinking leads back to the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from isletflow import workflow as wf
from isletflow.duration import format_duration
from isletflow.timeline import Accepted, Advanced, Event, Refused
from isletflow.training import MEASURED, TrainingSession, standard_plan

WAITS = ("10min", "30min", "2h", "9h", "1d")


@dataclass(frozen=True)
class Step:
    """An action with its wait and choices, or (``action`` None) a plain wait."""

    action: str | None
    after: str | None = None
    choices: dict[str, Any] = field(default_factory=dict)

    def run(self, session: TrainingSession) -> None:
        if self.action is None:
            session.wait(self.after or "0s")
        else:
            session.act(self.action, after=self.after, **self.choices)


def _optional(name: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={name: values})


CHOICES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "give_induction": st.fixed_dictionaries(
        {"agent": st.sampled_from(["rabbit ATG", "basiliximab"])}
    ),
    "add_heparin": st.fixed_dictionaries({"units_per_kg": st.sampled_from([70, 35])}),
    "access_portal_vein": st.fixed_dictionaries(
        {},
        optional={
            "anesthesia": st.sampled_from(["local_sedation", "general"]),
            "imaging": st.lists(st.sampled_from(["ultrasound", "fluoroscopy"]), unique=True),
        },
    ),
    "seal_access": _optional("track_sealant", st.sampled_from(["gelfoam", "coils"])),
    "record_trough": st.fixed_dictionaries({"drug": st.sampled_from(["tacrolimus", "sirolimus"])}),
    "record_complication": st.fixed_dictionaries(
        {"kind": st.sampled_from(["bleeding", "portal_vein_thrombosis"])}
    ),
    "note": st.fixed_dictionaries({"text": st.just("checked the labels")}),
    "abort": st.fixed_dictionaries({"reason": st.just("recipient_unstable")}),
    "reject": _optional("reason", st.just("low purity")),
}


@st.composite
def random_steps(draw: st.DrawFn) -> Step:
    """Any action (with valid choices) after any short wait, or a wait alone."""
    after = draw(st.sampled_from([None, *WAITS]))
    action = draw(st.sampled_from([None, *wf.ACTIONS]))
    if action is None:
        return Step(None, after or "1h")
    return Step(action, after, draw(CHOICES.get(action, st.just({}))))


@st.composite
def trainee_scripts(draw: st.DrawFn) -> list[Step]:
    """The expert plan with random drops, changed waits and inserted steps."""
    script: list[Step] = []
    for planned in standard_plan():
        if draw(st.integers(0, 9)) >= 8:
            script.append(draw(random_steps()))
        if draw(st.integers(0, 9)) >= 9:
            continue  # dropped
        after = planned.after if draw(st.integers(0, 9)) < 7 else draw(st.sampled_from(WAITS))
        script.append(Step(planned.action, after, dict(planned.choices)))
    return script


def expert_script(expert: Sequence[Event]) -> list[Step]:
    """The expert timeline's own moves as a trainee would type them: choices only, no values.

    Each action keeps its wait and the trainee's choices (the lab fills in what it measures);
    each ``advanced`` event is a plain wait.
    """
    script = []
    now = expert[0].at
    for event in expert[1:]:
        if isinstance(event, Accepted | Refused):
            measured = MEASURED.get(event.action, frozenset())
            choices = {k: v for k, v in event.data.items() if k not in measured}
            script.append(Step(event.action, format_duration(event.at - now), choices))
            now = event.at
        elif isinstance(event, Advanced):
            script.append(Step(None, format_duration(event.by)))
            now = event.at
    return script
