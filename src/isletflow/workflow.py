"""The workflow as data: states, actions, deadlines; and the one shared state machine.

An action is one row of the table: a ``Step`` (it moves the case from state to state) or a
``Recording`` (it records data where it may be taken). The row names the action's data model
(validation, and what it writes into the record: ``ActionData.apply``), its guards, the deadlines
it arms or disarms, and which of its fields the lab measures. Everything else about an action is
read from its row; ``ACTIONS`` looks rows up by name.

This is the only module that imports ``transitions``. It holds the graph: the one machine is
built from the table on first use and shared by every case, and cases move on the table read back
from it (``next_state``). The table is checked when this module is imported
(``check_definition``): an unreachable state, a dead end, an ambiguous step or a guard that does
not exist is an ``InvalidDefinition`` at start-up, not a trainee's surprise mid-case.

Why a flat machine with dotted names (``harvest.procured``) rather than transitions'
``HierarchicalMachine``: a nested trigger costs about six times a flat one (measured: ~110 µs
against ~19 µs on this machine), and the only thing nesting would give us, a step shared by all
children of a phase, is just as clear written out in the table. Why cases move on the table read
back rather than through ``Machine.trigger``: the machine carries no conditions or callbacks
(guards, effects and deadlines are isletflow's own), so it only ever answers
``(state, trigger) → destination``, and a dictionary answers that 50–60 times faster.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import actions as a
from .definition import Automatic, Deadline, Kind, Recording, Step, check_definition

if TYPE_CHECKING:
    from transitions import Machine

__all__ = [
    "ACTIONS",
    "AUTOMATIC",
    "DEADLINES",
    "INITIAL",
    "RECORDINGS",
    "STATES",
    "STEPS",
    "TERMINAL",
    "Kind",
    "Recording",
    "Step",
    "actions_in",
    "next_state",
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


MEASURED_RELEASE_TESTS = frozenset(a.RecordReleaseTests.model_fields)


STEPS: tuple[Step, ...] = (
    Step(
        "start_isolation",
        ("harvest.procured",),
        "harvest.digesting",
        a.StartIsolation,
        guards=(
            "donor_age",
            "donor_donation_type",
            "donor_exclusions",
            "preservation_accepted",
            "cold_ischemia_within_limit",
        ),
        warnings=("cold_ischemia_within_target",),
        disarms=("cold_ischemia",),
    ),
    Step(
        "finish_digestion",
        ("harvest.digesting",),
        "purify.gradient",
        a.FinishDigestion,
        guards=("digest_recorded",),
        measured=frozenset({"digest_ieq"}),
    ),
    Step(
        "start_culture",
        ("purify.gradient",),
        "purify.culture",
        a.StartCulture,
        guards=("yield_recorded",),
        arms=("culture_window",),
        measured=frozenset({"purified_ieq"}),
    ),
    Step(
        "submit_for_release",
        ("purify.gradient", "purify.culture"),
        "purify.release_testing",
        a.SubmitForRelease,
        guards=("culture_within_window",),
        arms=("culture_window",),
        measured=frozenset({"purified_ieq"}),
    ),
    Step(
        "release",
        ("purify.release_testing",),
        "purify.released",
        a.Release,
        guards=("release_criteria",),
        arms=("release_window",),
    ),
    Step("reject", ("purify.release_testing",), "discarded", a.Reject),
    Step(
        "access_portal_vein",
        ("purify.released",),
        "infuse.access",
        a.AccessPortalVein,
        guards=("anesthesia_fits", "imaging_present"),
    ),
    Step(
        "start_infusion",
        ("infuse.access",),
        "infuse.infusing",
        a.StartInfusion,
        guards=("baseline_pressure_low", "induction_timed", "heparin_added"),
        warnings=("heparin_under_bleeding_threshold",),
        disarms=("culture_window", "release_window"),
    ),
    Step("pause_infusion", ("infuse.infusing",), "infuse.paused"),
    Step(
        "resume_infusion",
        ("infuse.paused",),
        "infuse.infusing",
        guards=("pressure_below_stop",),
    ),
    Step(
        "complete_infusion",
        ("infuse.infusing", "infuse.paused"),
        "infuse.hemostasis",
        a.CompleteInfusion,
        guards=("fraction_known",),
        measured=frozenset({"fraction_delivered"}),
    ),
    Step(
        "seal_access",
        ("infuse.hemostasis",),
        "immunosuppress.maintenance",
        a.SealAccess,
        guards=("track_sealed",),
    ),
    Step(
        "start_follow_up",
        ("immunosuppress.maintenance",),
        "immunosuppress.follow_up",
        guards=("trough_recorded", "complications_treated"),
        warnings=("troughs_on_target",),
    ),
    Step(
        "assess_graft",
        ("immunosuppress.follow_up",),
        "completed",
        a.AssessGraft,
        guards=("igls_grade_given",),
        measured=frozenset({"igls_grade"}),
    ),
    Step("abort", ACTIVE, "aborted", a.Abort),
)


RECORDINGS: tuple[Recording, ...] = (
    Recording(
        "record_release_tests",
        ("purify.release_testing",),
        a.RecordReleaseTests,
        measured=MEASURED_RELEASE_TESTS,
    ),
    # Induction is due 30-360 min before infusion [S1]: from purification on.
    Recording("give_induction", (*_in("purify"), "infuse.access"), a.GiveInduction),
    Recording("add_heparin", ("purify.released", "infuse.access"), a.AddHeparin),
    Recording(
        "record_portal_pressure",
        _in("infuse"),
        a.RecordPortalPressure,
        measured=frozenset({"mmhg"}),
    ),
    Recording(
        "record_trough", _in("immunosuppress"), a.RecordTrough, measured=frozenset({"ng_per_ml"})
    ),
    Recording("record_complication", _in("infuse", "immunosuppress"), a.RecordComplication),
    # A bleed is managed, a thrombosis anticoagulated [S15, S18]: each step recorded as it starts.
    Recording("treat_complication", _in("infuse", "immunosuppress"), a.TreatComplication),
    Recording("note", ACTIVE, a.NoteText),
)


AUTOMATIC: tuple[Automatic, ...] = (
    Automatic("record_portal_pressure", "pause_infusion", unless="pressure_below_stop"),
)


DEADLINES: Mapping[str, Deadline] = {
    d.name: d
    for d in (
        Deadline(
            "cold_ischemia", "cold_ischemia_exceeded", "max_cold_ischemia", from_cross_clamp=True
        ),
        Deadline("culture_window", "islets_expired", "max_culture"),
        Deadline("release_window", "islets_expired", "max_release_to_infusion"),
    )
}
ARMED_AT_START = ("cold_ischemia",)

# -- Lookups derived from the table ------------------------------------------------------------

AUTOMATIC_TRIGGERS = frozenset(auto.trigger for auto in AUTOMATIC)
STEP_FOR: Mapping[str, Mapping[str, Step]] = {
    state: {s.trigger: s for s in STEPS if state in s.sources} for state in STATES
}
RECORDINGS_IN: Mapping[str, frozenset[str]] = {
    state: frozenset(r.action for r in RECORDINGS if state in r.states) for state in STATES
}
_ROWS: tuple[Step | Recording, ...] = (*STEPS, *RECORDINGS)
ACTIONS: Mapping[str, Step | Recording] = {
    row.name: row
    for row in sorted(_ROWS, key=lambda row: row.name)
    if row.name not in AUTOMATIC_TRIGGERS
}
"""Every action a person (or a policy) can take, by name: its row of the table."""


def actions_in(state: str) -> tuple[str, ...]:
    """The actions possible in ``state``: its steps, then its recordings, in table order."""
    steps = [t for t in STEP_FOR[state] if t not in AUTOMATIC_TRIGGERS]
    recordings = [r.action for r in RECORDINGS if state in r.states]
    return (*steps, *recordings)


def phase_of(state: str) -> str:
    return state.partition(".")[0]


check_definition(STATES, STEPS, RECORDINGS, AUTOMATIC, DEADLINES, INITIAL, TERMINAL)

# -- The shared machine -----------------------------------------------------------------------


@functools.cache
def machine() -> Machine:
    """The one ``transitions.Machine``, holding the graph; built on first use.

    ``transitions`` itself is imported here, not with the module: a process that prints
    ``--help`` or only reads the table never loads it.
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
    )


@functools.cache
def moves() -> Mapping[tuple[str, str], str]:
    """``{(source, trigger): destination}``, read back from the machine once."""
    return {
        (source, trigger): str(transition.dest)
        for trigger, event in machine().events.items()
        for source, transitions in event.transitions.items()
        for transition in transitions
    }


def next_state(state: str, trigger: str) -> str:
    """Where ``trigger`` leads from ``state``. Callers check the step is allowed first."""
    return moves()[(state, trigger)]
