"""The simulator: a policy drives a ``Case`` through its steps, as a person would.

``simulate(scenario, seed, index)`` samples one case from the scenario (``sampling``), makes a
``Case`` on a simulated clock and asks a ``Policy`` for one ``Move`` at a time until the case
ends. The engine decides, exactly as for a trainee: the policy only proposes steps, and a
refusal is an answer it must handle. ``World`` is what the policy may look at besides the case:
the sampled plan, the patient's portal pressure, and the answer to its last move.

The default ``StandardPolicy`` follows the protocol: it takes the next step when its guards hold,
waits for what it can wait for (induction given too recently), and otherwise stops with the
guard's code (a failed release is rejected with the failing tests as the reason).
Once a complication is recorded, it also records the complication's treatment steps at their
times (``treat_complication``) before any later move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from .assessment import assess, engrafted
from .case import ActionResult, Case
from .clock import SimulatedClock
from .errors import SimulationStuck  # defined with the other errors; re-exported here
from .guards import GuardResult
from .patient import (
    DOPPLER,
    Patient,
    bleed_management,
    bleeds_after,
    planned_sealant,
    thrombosis_after,
)
from .sampling import CasePlan, PlanSampler
from .scenario import Scenario

__all__ = ["Move", "Policy", "SimulationStuck", "StandardPolicy", "World", "run", "simulate"]

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Move:
    """One thing a policy does: ``action`` after ``after`` has passed, or only wait (None)."""

    action: str | None
    after: timedelta = _ZERO
    data: dict[str, Any] = field(default_factory=dict)


class World:
    """What a policy sees besides the case: the plan, the patient, its last answer."""

    __slots__ = ("entered", "last", "patient", "plan")

    def __init__(self, plan: CasePlan) -> None:
        self.plan = plan
        self.patient = Patient(plan)
        self.last: ActionResult | None = None
        self.entered: dict[str, datetime] = {}


class Policy(Protocol):
    """Chooses the next move of a case. It may read the case and the world, never change them."""

    def next_move(self, case: Case, world: World) -> Move:
        """The next move; the simulator calls it until the case has ended."""
        ...


class StandardPolicy:
    """Follows the protocol step by step, at the times the plan gives."""

    __slots__ = ()

    def next_move(self, case: Case, world: World) -> Move:
        last = world.last
        if last is not None and not last.accepted:
            return _after_refusal(case, world, last)
        move = _NEXT[case.state](case, world)
        return _treatment_first(case, world, move) if case.record.complications else move


def _treatments(case: Case, world: World) -> list[tuple[datetime, str]]:
    """Every step of the complications' management, with its time: a bleed's steps as the model
    gives them [S18], a thrombosis anticoagulated when it is found [S15]."""
    planned = []
    for found in case.record.complications:
        if found.kind == "bleeding":
            planned += [(found.at + s.after, s.kind) for s in bleed_management(world.plan)]
        elif found.kind == "portal_vein_thrombosis":
            planned.append((found.at, "anticoagulation"))
    return sorted(planned)


def _treatment_first(case: Case, world: World, move: Move) -> Move:
    """The next treatment step instead of ``move``, if it falls due no later."""
    done = len(case.record.treatments)
    planned = _treatments(case, world)
    if done >= len(planned):
        return move
    at, treatment = planned[done]
    wait = _wait_until(case, at)
    if wait > move.after:
        return move
    return Move("treat_complication", wait, {"treatment": treatment})


def _after_refusal(case: Case, world: World, last: ActionResult) -> Move:
    failures = last.failures
    if last.action == "release":
        reason = "+".join(f.subcode or f.code for f in failures if f.code == "release_failed")
        return Move("reject", data={"reason": reason or failures[0].code})
    waits = [f for f in failures if f.code == "induction_timing" and _too_early(f, world)]
    if waits and len(waits) == len(failures) and last.action == "start_infusion":
        left = max(w.time_left or _ZERO for w in waits)
        return Move("start_infusion", after=left)  # the induction window opens in ``left``
    return Move("abort", data={"reason": failures[0].code})


def _too_early(failure: GuardResult, world: World) -> bool:
    """Induction given too recently: waiting opens its window."""
    age, left = failure.observed, failure.time_left
    low = world.plan.protocol.induction_min_before_infusion
    return isinstance(age, timedelta) and age < low and left is not None and left > _ZERO


def _wait_until(case: Case, moment: datetime) -> timedelta:
    return max(_ZERO, moment - case.now)


def _planned_infusion(case: Case, world: World) -> datetime:
    released = case.record.released_at
    assert released is not None  # the case is past release
    return released + world.plan.timings.release_to_infusion


def _procured(case: Case, world: World) -> Move:
    return Move("start_isolation", after=world.plan.timings.cold_ischemia)


def _digesting(case: Case, world: World) -> Move:
    plan = world.plan
    return Move("finish_digestion", plan.timings.digestion, {"digest_ieq": plan.digest_ieq})


def _gradient(case: Case, world: World) -> Move:
    plan = world.plan
    step = "start_culture" if plan.timings.culture > _ZERO else "submit_for_release"
    return Move(step, plan.timings.purification, {"purified_ieq": plan.purified_ieq})


def _culture(case: Case, world: World) -> Move:
    return Move("submit_for_release", after=world.plan.timings.culture)


def _release_testing(case: Case, world: World) -> Move:
    if case.record.preparation is None:
        plan = world.plan
        return Move("record_release_tests", plan.timings.release_testing, plan.release_tests)
    return Move("release")


def _released(case: Case, world: World) -> Move:
    plan, record = world.plan, case.record
    infusion = _planned_infusion(case, world)
    if not record.inductions:
        at = infusion - plan.timings.induction_before_infusion
        return Move("give_induction", _wait_until(case, at), {"agent": plan.induction_agent})
    if record.heparin_units_per_kg is None:
        return Move("add_heparin", data={"units_per_kg": plan.protocol.heparin_units_per_kg})
    spec = plan.approach.spec
    access = {"anesthesia": spec.anesthesia.value, "imaging": sorted(i.value for i in spec.imaging)}
    at = infusion - plan.timings.access_to_infusion
    return Move("access_portal_vein", _wait_until(case, at), access)


def _access(case: Case, world: World) -> Move:
    infusion = _planned_infusion(case, world)
    if not any(r.state == "infuse.access" for r in case.record.portal_pressures):
        wait = _wait_until(case, infusion - world.plan.timings.access_to_infusion / 2)
        return Move("record_portal_pressure", wait, {"mmhg": world.patient.reading(wait, False)})
    return Move("start_infusion", after=_wait_until(case, infusion))


def _infusing(case: Case, world: World) -> Move:
    plan, patient = world.plan, world.patient
    left = plan.timings.infusion - patient.infused
    if left <= _ZERO:
        return Move("complete_infusion")
    # Read every check_every, and once more as the last of the product goes in.
    every = min(plan.check_every, left)
    return Move("record_portal_pressure", every, {"mmhg": patient.reading(every, True)})


def _paused(case: Case, world: World) -> Move:
    plan, patient, record = world.plan, world.patient, case.record
    if patient.infused >= plan.timings.infusion:
        return Move("complete_infusion", data={"fraction_delivered": 1.0})  # all of it is in
    if case.check("resume_infusion").accepted:  # the site's stop rule no longer holds
        return Move("resume_infusion")
    started = record.infusion_started_at
    assert started is not None  # paused implies started
    paused = case.now - started - patient.infused
    every = plan.check_every
    if paused + every > plan.max_pause:
        # The pressure has not fallen in time: stop here with the part already infused.
        return Move("complete_infusion", data={"fraction_delivered": patient.fraction_if_stopped()})
    return Move("record_portal_pressure", every, {"mmhg": patient.reading(every, False)})


def _hemostasis(case: Case, world: World) -> Move:
    plan, record = world.plan, case.record
    sealant = planned_sealant(plan)
    if not record.complications and bleeds_after(plan, record, sealant):
        return Move("record_complication", data={"kind": "bleeding"})
    return Move(
        "seal_access", plan.timings.hemostasis, {"track_sealant": sealant} if sealant else {}
    )


def _maintenance(case: Case, world: World) -> Move:
    plan, record = world.plan, case.record
    sealed = world.entered["immunosuppress.maintenance"]
    found = any(c.kind == "portal_vein_thrombosis" for c in record.complications)
    if not found and not record.troughs and (extent := thrombosis_after(plan, record)) is not None:
        found_on = {
            "kind": "portal_vein_thrombosis",
            "extent": extent,
            "detail": "found on portal Doppler day 1",
        }
        return Move("record_complication", _wait_until(case, sealed + DOPPLER), found_on)
    if not record.troughs:
        data: dict[str, Any] = {"drug": plan.trough_drug, "ng_per_ml": plan.trough_ng_per_ml}
        return Move("record_trough", _wait_until(case, sealed + plan.timings.trough), data)
    at = record.troughs[-1].at + plan.timings.follow_up
    return Move("start_follow_up", after=_wait_until(case, at))


def _follow_up(case: Case, world: World) -> Move:
    at = world.entered["immunosuppress.follow_up"] + world.plan.timings.assessment
    return Move("assess_graft", _wait_until(case, at), graft_assessment(world.plan, case, at))


def graft_assessment(plan: CasePlan, case: Case, at: datetime) -> dict[str, Any]:
    """The graft assessment's data at ``at``: what this and the recipient's earlier infusions
    engrafted, measured and graded by the graft model (never a drawn label)."""
    this = engrafted(case.record)
    infusions = plan.earlier if this is None else (*plan.earlier, this)
    return assess(at, infusions, plan.profile, plan.traits, plan.protocol, plan.model).data()


_NEXT = {
    "harvest.procured": _procured,
    "harvest.digesting": _digesting,
    "purify.gradient": _gradient,
    "purify.culture": _culture,
    "purify.release_testing": _release_testing,
    "purify.released": _released,
    "infuse.access": _access,
    "infuse.infusing": _infusing,
    "infuse.paused": _paused,
    "infuse.hemostasis": _hemostasis,
    "immunosuppress.maintenance": _maintenance,
    "immunosuppress.follow_up": _follow_up,
}


def run(case: Case, world: World, policy: Policy, *, max_moves: int = 1000) -> Case:
    """Drive ``case`` with ``policy`` until it ends; ``SimulationStuck`` if it never does."""
    state = during = case.state
    entered, patient = world.entered, world.patient
    entered[state] = case.now
    for _ in range(max_moves):
        if state in _TERMINAL:
            return case
        # The time since the last move passed in the state that move started from.
        patient.sync(case.now, during == "infuse.infusing")
        during = state
        move = policy.next_move(case, world)
        after, due = move.after, case.next_deadline
        if move.action is None or (due is not None and after > _ZERO and case.now + after > due):
            # A deadline falls within the wait: time runs out before the step can happen.
            case.advance(after)
            world.last = None
        else:
            world.last = case.act(move.action, after=after, **move.data)
        now_in = case.state
        if now_in != state:
            state = now_in
            entered[state] = case.now
    raise SimulationStuck(max_moves, case.state)


_TERMINAL = frozenset({"completed", "aborted", "discarded"})


def start(plan: CasePlan) -> tuple[Case, World]:
    """A new case for ``plan``, on a simulated clock at the donor's cross-clamp."""
    clock = SimulatedClock(plan.donor.cross_clamp_at)
    case = Case.new(plan.donor, plan.recipient, plan.approach, plan.protocol, clock)
    return case, World(plan)


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    index: int = 0,
    *,
    policy: Policy | None = None,
    sampler: PlanSampler | None = None,
) -> Case:
    """Simulate case ``index`` of ``scenario`` (seed: the argument, else the file's, else 0)."""
    chosen = scenario.seed_for(seed)
    plan = (sampler or PlanSampler(scenario)).sample(chosen, index)
    case, world = start(plan)
    return run(case, world, policy or StandardPolicy())
