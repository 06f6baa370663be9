"""The workflow as data: states, steps, recordings, deadlines; and the one shared state machine.

This is the only module that imports ``transitions``. The machine is built once, from the table
below, and every case is fired through it (``fire``); no case builds or joins a machine. The
table is checked when this module is imported (``check_definition``): an unreachable state, a
dead end, or a guard that does not exist is an ``InvalidDefinition`` at start-up, not a trainee's
surprise mid-case.

Why a flat machine with dotted names (``harvest.procured``) rather than transitions'
``HierarchicalMachine``: a nested trigger costs about six times a flat one (measured: ~110 µs
against ~19 µs on this machine), and the only thing nesting would give us, a step shared by all
children of a phase, is just as clear written out in the table.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .actions import DATA
from .errors import InvalidDefinition
from .guards import GUARDS
from .protocol import Protocol

if TYPE_CHECKING:
    from transitions import Machine

__all__ = [
    "ACTIONS",
    "AUTOMATIC",
    "COMPILED",
    "DEADLINES",
    "INITIAL",
    "RECORDINGS",
    "STATES",
    "STEPS",
    "TERMINAL",
    "Automatic",
    "Deadline",
    "Engine",
    "Recording",
    "Step",
    "check_definition",
    "compile_table",
    "fire",
    "phase_of",
]

# -- The table ------------------------------------------------------------------------------

INITIAL = "harvest.procured"
TERMINAL = ("completed", "aborted", "discarded")
STATES: tuple[str, ...] = (
    "harvest.procured",
    "harvest.digesting",
    "purify.gradient",
    "purify.culture",
    "purify.release_testing",
    "purify.released",
    "infuse.access",
    "infuse.infusing",
    "infuse.paused",
    "infuse.hemostasis",
    "immunosuppress.maintenance",
    "immunosuppress.follow_up",
    *TERMINAL,
)
ACTIVE = tuple(s for s in STATES if s not in TERMINAL)


def _in(*phases: str) -> tuple[str, ...]:
    return tuple(s for s in ACTIVE if s.split(".")[0] in phases)


@dataclass(frozen=True, slots=True)
class Step:
    """A step that moves the case from one state to another."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    guards: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # guards whose failure is recorded without refusing
    arms: tuple[str, ...] = ()  # deadlines that start counting
    disarms: tuple[str, ...] = ()  # deadlines that stop counting


STEPS: tuple[Step, ...] = (
    Step(
        "start_isolation", ("harvest.procured",), "harvest.digesting",
        guards=("donor_age", "donor_donation_type", "donor_exclusions", "preservation_accepted",
                "cold_ischemia_within_limit"),
        warnings=("cold_ischemia_within_target",),
        disarms=("cold_ischemia",),
    ),
    Step("finish_digestion", ("harvest.digesting",), "purify.gradient",
         guards=("digest_recorded",)),
    Step("start_culture", ("purify.gradient",), "purify.culture",
         guards=("yield_recorded",), arms=("culture_window",)),
    Step("submit_for_release", ("purify.gradient", "purify.culture"), "purify.release_testing",
         guards=("culture_within_window",), arms=("culture_window",)),
    Step("release", ("purify.release_testing",), "purify.released",
         guards=("release_criteria",), arms=("release_window",)),
    Step("reject", ("purify.release_testing",), "discarded"),
    Step("access_portal_vein", ("purify.released",), "infuse.access",
         guards=("anesthesia_fits", "imaging_present")),
    Step("start_infusion", ("infuse.access",), "infuse.infusing",
         guards=("baseline_pressure_low", "induction_timed", "heparin_added"),
         disarms=("culture_window", "release_window")),
    Step("pause_infusion", ("infuse.infusing",), "infuse.paused"),
    Step("resume_infusion", ("infuse.paused",), "infuse.infusing",
         guards=("pressure_below_stop",)),
    Step("complete_infusion", ("infuse.infusing", "infuse.paused"), "infuse.hemostasis",
         guards=("fraction_known",)),
    Step("seal_access", ("infuse.hemostasis",), "immunosuppress.maintenance",
         guards=("track_sealed",)),
    Step("start_follow_up", ("immunosuppress.maintenance",), "immunosuppress.follow_up",
         guards=("trough_recorded",)),
    Step("assess_graft", ("immunosuppress.follow_up",), "completed",
         guards=("igls_grade_given",)),
    Step("abort", ACTIVE, "aborted"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Recording:
    """An action that records data without changing state, and where it may be taken."""

    action: str
    states: tuple[str, ...]


RECORDINGS: tuple[Recording, ...] = (
    Recording("record_release_tests", ("purify.release_testing",)),
    # Induction is due 30-360 min before infusion [S1]: from purification on.
    Recording("give_induction", (*_in("purify"), "infuse.access")),
    Recording("add_heparin", ("purify.released", "infuse.access")),
    Recording("record_portal_pressure", _in("infuse")),
    Recording("record_trough", _in("immunosuppress")),
    Recording("record_complication", _in("infuse", "immunosuppress")),
    Recording("note", ACTIVE),
)


@dataclass(frozen=True, slots=True)
class Automatic:
    """A step the engine takes by itself after an action, when a guard fails."""

    after: str  # the action after which it is considered
    trigger: str
    unless: str  # the guard that, failing, sets it off


AUTOMATIC: tuple[Automatic, ...] = (
    Automatic("record_portal_pressure", "pause_infusion", unless="pressure_below_stop"),
)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A time limit that aborts the case when the clock passes it."""

    name: str
    code: str  # the abort code
    window: str  # the Protocol field that gives its length
    from_cross_clamp: bool = False  # counts from the donor's cross-clamp, else from arming


DEADLINES: Mapping[str, Deadline] = {
    d.name: d
    for d in (
        Deadline("cold_ischemia", "cold_ischemia_exceeded", "max_cold_ischemia",
                 from_cross_clamp=True),
        Deadline("culture_window", "islets_expired", "max_culture"),
        Deadline("release_window", "islets_expired", "max_release_to_infusion"),
    )
}  # fmt: skip
ARMED_AT_START = ("cold_ischemia",)

# -- Lookups derived from the table ------------------------------------------------------------

AUTOMATIC_TRIGGERS = frozenset(a.trigger for a in AUTOMATIC)
STEP_FOR: Mapping[str, Mapping[str, Step]] = {
    state: {s.trigger: s for s in STEPS if state in s.sources} for state in STATES
}
RECORDINGS_IN: Mapping[str, frozenset[str]] = {
    state: frozenset(r.action for r in RECORDINGS if state in r.states) for state in STATES
}
ACTIONS: tuple[str, ...] = tuple(
    sorted({s.trigger for s in STEPS if s.trigger not in AUTOMATIC_TRIGGERS}
           | {r.action for r in RECORDINGS})
)  # fmt: skip
"""Every action a person (or a policy) can take."""


def actions_in(state: str) -> tuple[str, ...]:
    """The actions possible in ``state``: its steps, then its recordings, in table order."""
    steps = [t for t in STEP_FOR[state] if t not in AUTOMATIC_TRIGGERS]
    recordings = [r.action for r in RECORDINGS if state in r.states]
    return (*steps, *recordings)


def phase_of(state: str) -> str:
    return state.partition(".")[0]


# -- Checking the definition -------------------------------------------------------------------


def check_definition(
    states: Iterable[str] = STATES,
    steps: Iterable[Step] = STEPS,
    recordings: Iterable[Recording] = RECORDINGS,
    automatic: Iterable[Automatic] = AUTOMATIC,
    deadlines: Mapping[str, Deadline] = DEADLINES,
    initial: str = INITIAL,
    terminal: Iterable[str] = TERMINAL,
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
        if step.trigger not in DATA:
            problems.append(f"step {step.trigger!r} has no data model in actions.DATA")
    for rec in recordings:
        if rec.action not in DATA:
            problems.append(f"recording {rec.action!r} has no data model in actions.DATA")
        problems += [f"recording {rec.action!r} names unknown state {s!r}"
                     for s in rec.states if s not in known]  # fmt: skip
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
    problems += [f"state {s!r} cannot be reached from {initial!r}"
                 for s in states if s not in reached]  # fmt: skip
    without_abort = {s: {st.dest for st in steps if s in st.sources and st.dest != "aborted"}
                     for s in states}  # fmt: skip
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


check_definition()

# -- The shared machine -----------------------------------------------------------------------


@functools.cache
def machine() -> Machine:
    """The one ``transitions.Machine`` for every case, built on first use.

    ``transitions`` itself is imported here, not with the module: a process that only runs
    cohorts (the compiled table) or prints ``--help`` never loads it.
    """
    from transitions import Machine

    return Machine(
        model=None,
        states=list(STATES),
        initial=INITIAL,
        transitions=[
            {"trigger": s.trigger, "source": list(s.sources), "dest": s.dest} for s in STEPS
        ],
        auto_transitions=False,
        model_attribute="_state",
    )


Engine = Literal["transitions", "compiled"]
"""Which mover fires a case: the shared ``transitions`` machine (the engine of record), or the
same table compiled to a plain dictionary, for cohorts where the per-step cost matters."""


def compile_table(steps: Iterable[Step] = STEPS) -> dict[tuple[str, str], str]:
    """The step table as ``{(source, trigger): dest}``; refuses what a dictionary cannot say.

    ``transitions`` would resolve two rows with the same source and trigger by their
    conditions; the table has none (guards are ours), so such a pair is ambiguous here and an
    ``InvalidDefinition``, as is any step that leaves a terminal state.
    """
    table: dict[tuple[str, str], str] = {}
    problems = []
    for step in steps:
        for source in step.sources:
            if (source, step.trigger) in table:
                problems.append(f"step {step.trigger!r} from {source!r} is defined twice")
            table[(source, step.trigger)] = step.dest
    if problems:
        raise InvalidDefinition(problems)
    return table


COMPILED = compile_table()


def fire(case: object, trigger: str, engine: Engine = "transitions") -> None:
    """Move ``case`` (any object with a ``_state``) along ``trigger``.

    Callers check the step is allowed first; a ``KeyError`` or ``MachineError`` here is a bug.
    Both engines come from the same table and a differential test keeps their timelines equal.
    """
    if engine == "compiled":
        case._state = COMPILED[(case._state, trigger)]  # type: ignore[attr-defined]
    else:
        machine().events[trigger].trigger(case)
