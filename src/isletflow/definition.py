"""What a workflow table is made of (its rows), and the check that a table can work.

``workflow`` holds isletflow's own table; ``check_definition`` runs on it when ``workflow`` is
imported, and on any table a test builds: every problem at once, each a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from . import actions as a
from .errors import InvalidDefinition
from .guards import GUARDS
from .protocol import Protocol

__all__ = ["Automatic", "Deadline", "Kind", "Recording", "Step", "check_definition"]

Kind = Literal["step", "recording"]


@dataclass(frozen=True, slots=True)
class Step:
    """An action that moves the case from one state to another."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    data: type[a.ActionData] = a.NoData
    guards: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # guards whose failure is recorded without refusing
    arms: tuple[str, ...] = ()  # deadlines that start counting
    disarms: tuple[str, ...] = ()  # deadlines that stop counting
    measured: frozenset[str] = frozenset()  # fields of its data the lab measures
    kind: ClassVar[Kind] = "step"

    @property
    def name(self) -> str:
        return self.trigger


@dataclass(frozen=True, slots=True)
class Recording:
    """An action that records data without changing state, and where it may be taken."""

    action: str
    states: tuple[str, ...]
    data: type[a.ActionData]
    measured: frozenset[str] = frozenset()  # fields of its data the lab measures
    kind: ClassVar[Kind] = "recording"

    @property
    def name(self) -> str:
        return self.action


@dataclass(frozen=True, slots=True)
class Automatic:
    """A step the engine takes by itself after an action, when a guard fails."""

    after: str  # the action after which it is considered
    trigger: str
    unless: str  # the guard that, failing, sets it off


@dataclass(frozen=True, slots=True)
class Deadline:
    """A time limit that aborts the case when the clock passes it."""

    name: str
    code: str  # the abort code
    window: str  # the Protocol field that gives its length
    from_cross_clamp: bool = False  # counts from the donor's cross-clamp, else from arming


def check_definition(
    states: Iterable[str],
    steps: Iterable[Step],
    recordings: Iterable[Recording],
    automatic: Iterable[Automatic],
    deadlines: Mapping[str, Deadline],
    initial: str,
    terminal: Iterable[str],
) -> None:
    """Raise ``InvalidDefinition`` listing every problem of a workflow table."""
    states, steps, terminal = tuple(states), tuple(steps), frozenset(terminal)
    known = frozenset(states)
    problems: list[str] = []
    if initial not in known:
        problems.append(f"initial state {initial!r} is not a state")
    for step in steps:
        for state in (*step.sources, step.dest):
            if state not in known:
                problems.append(f"step {step.trigger!r} names unknown state {state!r}")
        for source in step.sources:
            if source in terminal:
                problems.append(f"step {step.trigger!r} leaves terminal state {source!r}")
        for name in (*step.guards, *step.warnings):
            if name not in GUARDS:
                problems.append(f"step {step.trigger!r} names unknown guard {name!r}")
        for name in (*step.arms, *step.disarms):
            if name not in deadlines:
                problems.append(f"step {step.trigger!r} names unknown deadline {name!r}")
    for rec in recordings:
        problems += [
            f"recording {rec.action!r} names unknown state {s!r}"
            for s in rec.states
            if s not in known
        ]
    rows: tuple[Step | Recording, ...] = (*steps, *recordings)
    for row in rows:
        problems += [
            f"action {row.name!r} measures {field!r}, which its data model does not have"
            for field in sorted(row.measured - row.data.model_fields.keys())
        ]
    names = [row.name for row in rows]
    problems += [
        f"action {n!r} has more than one row" for n in sorted(set(names)) if names.count(n) > 1
    ]
    triggers = {s.trigger for s in steps}
    for auto in automatic:
        if auto.trigger not in triggers or auto.unless not in GUARDS:
            problems.append(f"automatic step {auto.trigger!r} names an unknown trigger or guard")
    for deadline in deadlines.values():
        if deadline.window not in Protocol.model_fields:
            problems.append(f"deadline {deadline.name!r} names unknown window {deadline.window!r}")
    # Every state must be reachable, and from every active state some way must lead to
    # completion without aborting: no dead ends.
    forward = {s: {st.dest for st in steps if s in st.sources} for s in states}
    reached = _closure({initial}, forward)
    problems += [
        f"state {s!r} cannot be reached from {initial!r}" for s in states if s not in reached
    ]
    without_abort = {
        s: {st.dest for st in steps if s in st.sources and st.dest != "aborted"} for s in states
    }
    for state in states:
        if state not in terminal and not (
            _closure({state}, without_abort) & (terminal - {"aborted"})
        ):
            problems.append(f"state {state!r} is a dead end: nothing leads on but abort")
    if problems:
        raise InvalidDefinition(problems)


def _closure(start: set[str], edges: Mapping[str, set[str]]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
