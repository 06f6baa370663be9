"""Hypothesis strategies for training sessions: trainee scripts that stray from the expert path.

A script is a list of ``PlanStep``s (``walk`` makes them). It starts from the standard exercise's
expert moves and, move by move, keeps one, drops it, changes its wait, or puts a random action or
wait before it, so examples reach every phase while still making every kind of mistake.
Shrinking leads back to the expert's moves.
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st

from isletflow import workflow as wf
from isletflow.training import PlanStep, moves_of, standard_exercise

WAITS = ("10min", "30min", "2h", "9h", "1d")


@functools.cache
def expert_moves() -> tuple[PlanStep, ...]:
    """The standard exercise's expert moves."""
    return moves_of(standard_exercise().expert)


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
    # The standard case's lab measures tacrolimus; another drug is InvalidInput, not a step.
    "record_trough": st.just({"drug": "tacrolimus"}),
    "record_complication": st.fixed_dictionaries(
        {"kind": st.sampled_from(["bleeding", "portal_vein_thrombosis"])}
    ),
    "treat_complication": st.fixed_dictionaries(
        {"treatment": st.sampled_from(["observation", "transfusion", "anticoagulation"])}
    ),
    "note": st.fixed_dictionaries({"text": st.just("checked the labels")}),
    "abort": st.fixed_dictionaries({"reason": st.just("recipient_unstable")}),
    "reject": _optional("reason", st.just("low purity")),
}


@st.composite
def random_steps(draw: st.DrawFn) -> PlanStep:
    """Any action (with valid choices) after any short wait, or a wait alone."""
    after = draw(st.sampled_from([None, *WAITS]))
    action = draw(st.sampled_from([None, *wf.ACTIONS]))
    if action is None:
        return PlanStep(None, after or "1h")
    return PlanStep(action, after, draw(CHOICES.get(action, st.just({}))))


@st.composite
def trainee_scripts(draw: st.DrawFn) -> list[PlanStep]:
    """The expert's moves with random drops, changed waits and inserted steps."""
    script: list[PlanStep] = []
    for planned in expert_moves():
        if draw(st.integers(0, 9)) >= 8:
            script.append(draw(random_steps()))
        if draw(st.integers(0, 9)) >= 9:
            continue  # dropped
        after = planned.after if draw(st.integers(0, 9)) < 7 else draw(st.sampled_from(WAITS))
        script.append(PlanStep(planned.action, after, dict(planned.choices)))
    return script
