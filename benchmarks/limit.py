"""The limit: the population workflow as plain Python, written for the benchmark only.

The same workload as ``isletflow``'s cohort simulation, with nothing it could leave out: the
same ``PlanSampler`` draws and the same patient (``isletflow.patient.Patient``), so the
sampling is identical; the same steps as a ``dict`` transition table; the guards as inline
comparisons giving the same refusal and abort codes (the first failure's code, or every failed
release test joined by ``+``); deadlines that fire when a wait would pass them; and one light
tuple per event. What it leaves out is what a library adds: validated input, guard results that
explain themselves, typed events, replay, snapshots, a clock object, a policy interface.

``PlainCase.fire`` is the only place a step moves the state; ``benchmarks/peers.py`` overrides
it to move through a ``transitions.Machine`` or a ``python-statemachine`` machine per case, with
the guards as those libraries' conditions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from isletflow.assessment import Engrafted, assess
from isletflow.patient import Patient, bleeds, planned_sealant, pressure_rise, thrombosis
from isletflow.sampling import CasePlan

ZERO = timedelta(0)
DOPPLER = timedelta(days=1)  # portal Doppler on day 1 finds a thrombosis, as in the simulator
EXCLUSIONS = ("diabetes_history", "sepsis", "malignancy", "transmissible_infection")

# (source, trigger) -> destination: the workflow's steps, written out (a test checks that this
# is isletflow's table).
ACTIVE = (
    "harvest.procured", "harvest.digesting", "purify.gradient", "purify.culture",
    "purify.release_testing", "purify.released", "infuse.access", "infuse.infusing",
    "infuse.paused", "infuse.hemostasis", "immunosuppress.maintenance",
    "immunosuppress.follow_up",
)  # fmt: skip
TABLE: dict[tuple[str, str], str] = {
    ("harvest.procured", "start_isolation"): "harvest.digesting",
    ("harvest.digesting", "finish_digestion"): "purify.gradient",
    ("purify.gradient", "start_culture"): "purify.culture",
    ("purify.gradient", "submit_for_release"): "purify.release_testing",
    ("purify.culture", "submit_for_release"): "purify.release_testing",
    ("purify.release_testing", "release"): "purify.released",
    ("purify.release_testing", "reject"): "discarded",
    ("purify.released", "access_portal_vein"): "infuse.access",
    ("infuse.access", "start_infusion"): "infuse.infusing",
    ("infuse.infusing", "pause_infusion"): "infuse.paused",
    ("infuse.paused", "resume_infusion"): "infuse.infusing",
    ("infuse.infusing", "complete_infusion"): "infuse.hemostasis",
    ("infuse.paused", "complete_infusion"): "infuse.hemostasis",
    ("infuse.hemostasis", "seal_access"): "immunosuppress.maintenance",
    ("immunosuppress.maintenance", "start_follow_up"): "immunosuppress.follow_up",
    ("immunosuppress.follow_up", "assess_graft"): "completed",
    **{(state, "abort"): "aborted" for state in ACTIVE},
}
TERMINAL = frozenset({"completed", "aborted", "discarded"})

Event = tuple[Any, ...]  # (at, kind, ...): light on purpose


class PlainCase:
    """One case driven by the simulator's standard policy; ``run`` takes it to its end."""

    __slots__ = (
        "complications", "deadlines", "entered", "events", "failures", "fraction", "heparin",
        "inductions", "infusion_started_at", "isolation_ended_at", "now", "outcome", "patient",
        "plan", "pressures", "released_at", "state", "troughs",
    )  # fmt: skip

    def __init__(self, plan: CasePlan) -> None:
        self.plan = plan
        self.patient = Patient(plan)
        self.now: datetime = plan.donor.cross_clamp_at
        self.state = "harvest.procured"
        self.events: list[Event] = [(self.now, "created", plan.index)]
        p = plan.protocol
        self.deadlines: dict[str, tuple[datetime, str]] = {
            "cold_ischemia": (self.now + p.max_cold_ischemia, "cold_ischemia_exceeded")
        }
        self.outcome: tuple[str, str | None, datetime] | None = None
        self.failures: list[str] = []
        self.entered: dict[str, datetime] = {}
        self.isolation_ended_at: datetime | None = None
        self.released_at: datetime | None = None
        self.inductions: list[datetime] = []
        self.heparin = False
        self.pressures: list[tuple[datetime, float, str]] = []
        self.infusion_started_at: datetime | None = None
        self.fraction: float | None = None
        self.complications: list[str] = []
        self.troughs: list[datetime] = []

    # -- The engine: a table, inline guards, deadlines, tuple events --------------------------

    def fire(self, trigger: str) -> bool:
        """Take ``trigger`` if its guard holds (else record the refusal): the table moves it."""
        check = CHECKS.get(trigger)
        if check is not None and not check(self):
            self.events.append((self.now, "refused", trigger, self.state, tuple(self.failures)))
            return False
        source = self.state
        self.state = TABLE[source, trigger]
        self.events.append((self.now, "accepted", trigger, source, self.state))
        return True

    def record(self, action: str, value: Any = None) -> None:
        self.events.append((self.now, "accepted", action, self.state, value))

    def wait(self, span: timedelta) -> bool:
        """Let ``span`` pass; False (and the case aborted) if a deadline falls within it."""
        if span > ZERO and self.deadlines:
            due, code = min(self.deadlines.values())
            if self.now + span > due:
                self.state = TABLE[self.state, "abort"]
                self.deadlines.clear()
                self.events.append((due, "deadline", code))
                self.outcome = ("aborted", code, due)
                return False
        self.now += span
        return True

    def end(self, status: str, code: str | None) -> None:
        self.deadlines.clear()
        self.outcome = (status, code, self.now)

    def stop(self, reason: str) -> None:
        self.fire("abort")
        self.end("aborted", reason)

    # -- The guards, as inline comparisons (each sets ``failures``, first one first) ------------

    def isolation_ok(self) -> bool:
        d, p, failures = self.plan.donor, self.plan.protocol, []
        if not p.donor_min_age_years <= d.age_years <= p.donor_max_age_years:
            failures.append("donor_ineligible")
        if d.donation == "cardiac_death" and not p.accept_donation_after_cardiac_death:
            failures.append("donor_ineligible")
        failures += ["donor_ineligible" for name in EXCLUSIONS if getattr(d, name)]
        if d.preservation_solution not in p.accepted_preservation_solutions:
            failures.append("preservation_unaccepted")
        if self.now - d.cross_clamp_at > p.max_cold_ischemia:
            failures.append("cold_ischemia_exceeded")
        self.failures = failures
        return not failures

    def yield_ok(self) -> bool:
        self.failures = [] if self.plan.purified_ieq > 0 else ["no_yield"]
        return not self.failures

    def culture_ok(self) -> bool:
        ended = self.isolation_ended_at
        late = ended is not None and self.now - ended > self.plan.protocol.max_culture
        self.failures = ["culture_window_exceeded"] if late else []
        return not late

    def release_ok(self) -> bool:
        t, p = self.plan.release_tests, self.plan.protocol
        failed = []
        if t["ieq"] / self.plan.recipient.weight_kg < p.min_dose_ieq_per_kg:
            failed.append("dose_below_minimum")
        if t["tissue_volume_ml"] > p.max_tissue_volume_ml:
            failed.append("tissue_volume_above_limit")
        if t["purity_percent"] < p.min_purity_percent:
            failed.append("purity_below_minimum")
        if t["viability_percent"] < p.min_viability_percent:
            failed.append("viability_below_minimum")
        if t["endotoxin_eu_per_kg"] > p.max_endotoxin_eu_per_kg:
            failed.append("endotoxin_above_limit")
        if t["gram_stain_positive"]:
            failed.append("gram_stain_positive")
        if not t["stimulation_index"] > p.min_stimulation_index:
            failed.append("stimulation_index_below_minimum")
        if t["labelled_recipient_id"] != self.plan.recipient.id:
            failed.append("identity_mismatch")
        self.failures = failed
        return not failed

    def access_ok(self) -> bool:
        return True  # the policy brings the anaesthesia and imaging its approach needs

    def infusion_ok(self) -> bool:
        p, failures = self.plan.protocol, []
        if not self.pressures[-1][1] < p.max_baseline_portal_pressure_mmhg:
            failures.append("portal_pressure_high")
        low, high = p.induction_min_before_infusion, p.induction_max_before_infusion
        ages = [self.now - at for at in self.inductions]
        if not any(low <= age <= high for age in ages):
            failures.append("induction_timing")
        if not self.heparin:
            failures.append("heparin_missing")
        self.failures = failures
        return not failures

    def pressure_ok(self) -> bool:
        ok = self.pressures[-1][1] < self.plan.protocol.portal_pressure_stop_mmhg
        self.failures = [] if ok else ["portal_pressure_high"]
        return ok

    # -- The standard policy, state by state ---------------------------------------------------

    def run(self, until: str | None = None) -> PlainCase:
        state = during = self.state
        self.entered[state] = self.now
        while state not in TERMINAL and state != until:
            self.patient.sync(self.now, during == "infuse.infusing")
            during = state
            POLICY[state](self)
            if self.state != state:
                state = self.state
                self.entered[state] = self.now
        return self

    def until(self, moment: datetime) -> timedelta:
        return max(ZERO, moment - self.now)

    def procured(self) -> None:
        if not self.wait(self.plan.timings.cold_ischemia):
            return
        if not self.fire("start_isolation"):
            self.stop(self.failures[0])
            return
        self.deadlines.pop("cold_ischemia", None)
        if self.now - self.plan.donor.cross_clamp_at > self.plan.protocol.cold_ischemia_warning:
            self.events.append((self.now, "warned", "cold_ischemia_above_target"))

    def digesting(self) -> None:
        if self.wait(self.plan.timings.digestion):
            self.fire("finish_digestion")

    def gradient(self) -> None:
        t = self.plan.timings
        if not self.wait(t.purification):
            return
        culture = t.culture > ZERO
        if not self.fire("start_culture" if culture else "submit_for_release"):
            self.stop(self.failures[0])
            return
        if self.isolation_ended_at is None:
            self.isolation_ended_at = self.now
        self.arm("culture_window", self.plan.protocol.max_culture, "islets_expired")

    def culture(self) -> None:
        if not self.wait(self.plan.timings.culture):
            return
        if not self.fire("submit_for_release"):
            self.stop(self.failures[0])

    def release_testing(self) -> None:
        if not self.wait(self.plan.timings.release_testing):
            return
        self.record("record_release_tests")
        if self.fire("release"):
            self.released_at = self.now
            window = self.plan.protocol.max_release_to_infusion
            self.arm("release_window", window, "islets_expired")
        else:
            reason = "+".join(self.failures)
            self.fire("reject")
            self.end("discarded", reason)

    def arm(self, name: str, window: timedelta, code: str) -> None:
        if name not in self.deadlines:
            self.deadlines[name] = (self.now + window, code)

    def released(self) -> None:
        plan = self.plan
        assert self.released_at is not None
        infusion = self.released_at + plan.timings.release_to_infusion
        if not self.inductions:
            if self.wait(self.until(infusion - plan.timings.induction_before_infusion)):
                self.inductions.append(self.now)
                self.record("give_induction", plan.induction_agent)
        elif not self.heparin:
            self.heparin = True
            self.record("add_heparin", plan.protocol.heparin_units_per_kg)
        elif self.wait(self.until(infusion - plan.timings.access_to_infusion)):
            self.fire("access_portal_vein")

    def access(self) -> None:
        plan, patient = self.plan, self.patient
        assert self.released_at is not None
        infusion = self.released_at + plan.timings.release_to_infusion
        if not any(state == "infuse.access" for _, _, state in self.pressures):
            wait = self.until(infusion - plan.timings.access_to_infusion / 2)
            mmhg = patient.reading(wait, False)
            if self.wait(wait):
                self.pressures.append((self.now, mmhg, self.state))
                self.record("record_portal_pressure", mmhg)
            return
        if not self.wait(self.until(infusion)):
            return
        while not self.fire("start_infusion"):
            p = plan.protocol
            low = p.induction_min_before_infusion
            age = self.now - self.inductions[-1]
            if self.failures != ["induction_timing"] or age >= low:
                self.stop(self.failures[0])
                return
            # Induction given too recently: wait for its window to open, as the policy does.
            patient.sync(self.now, False)
            if not self.wait(low - age):
                return
        self.infusion_started_at = self.now
        self.deadlines.pop("culture_window", None)
        self.deadlines.pop("release_window", None)

    def infusing(self) -> None:
        plan, patient = self.plan, self.patient
        left = plan.timings.infusion - patient.infused
        if left <= ZERO:
            self.fraction = 1.0
            self.fire("complete_infusion")
            return
        every = min(plan.check_every, left)
        self.read(every, infusing=True)
        if not self.pressure_ok():
            self.fire("pause_infusion")

    def read(self, every: timedelta, *, infusing: bool) -> None:
        mmhg = self.patient.reading(every, infusing)
        self.now += every
        self.pressures.append((self.now, mmhg, self.state))
        self.record("record_portal_pressure", mmhg)

    def paused(self) -> None:
        plan, patient = self.plan, self.patient
        if patient.infused >= plan.timings.infusion:
            self.fraction = 1.0
            self.fire("complete_infusion")
            return
        if self.pressures[-1][1] < plan.protocol.portal_pressure_stop_mmhg:
            self.fire("resume_infusion")
            return
        assert self.infusion_started_at is not None
        paused = self.now - self.infusion_started_at - patient.infused
        if paused + plan.check_every > plan.max_pause:
            self.fraction = max(0.001, math.floor(patient.fraction_infused * 1000) / 1000)
            self.fire("complete_infusion")
            return
        self.read(plan.check_every, infusing=False)

    def hemostasis(self) -> None:
        plan = self.plan
        heparin = plan.protocol.heparin_units_per_kg if self.heparin else 0.0
        rise = pressure_rise((mmhg, state) for _, mmhg, state in self.pressures)
        sealant = planned_sealant(plan)
        if not self.complications and bleeds(
            plan, rise_mmhg=rise, heparin_units_per_kg=heparin, sealant=sealant
        ):
            self.complications.append("bleeding")
            self.record("record_complication", "bleeding")
        elif self.wait(plan.timings.hemostasis):
            self.fire("seal_access")

    def maintenance(self) -> None:
        plan = self.plan
        sealed = self.entered["immunosuppress.maintenance"]
        rise = pressure_rise((mmhg, state) for _, mmhg, state in self.pressures)
        found = "portal_vein_thrombosis" in self.complications
        sealant = planned_sealant(plan)  # as the policy closes the access
        delivered = 1.0 if self.fraction is None else self.fraction
        if (
            not found
            and not self.troughs
            and thrombosis(plan, rise_mmhg=rise, fraction_delivered=delivered, sealant=sealant)
        ):
            self.wait(self.until(sealed + DOPPLER))
            self.complications.append("portal_vein_thrombosis")
            self.record("record_complication", "portal_vein_thrombosis")
        elif not self.troughs:
            self.wait(self.until(sealed + plan.timings.trough))
            self.troughs.append(self.now)
            self.record("record_trough", plan.trough_ng_per_ml)
        else:
            self.wait(self.until(self.troughs[-1] + plan.timings.follow_up))
            self.fire("start_follow_up")

    def follow_up(self) -> None:
        at = self.entered["immunosuppress.follow_up"] + self.plan.timings.assessment
        self.wait(self.until(at))
        self.fire("assess_graft")
        self.end("completed", self.grade(at))

    def grade(self, at: datetime) -> str:
        """The Igls grade the graft model computes, as the engine's assessment does."""
        plan, t = self.plan, self.plan.release_tests
        infused = next(e[0] for e in self.events if e[2] == "complete_infusion")
        dose = t["ieq"] / plan.recipient.weight_kg * (self.fraction or 1.0)
        clotted = "portal_vein_thrombosis" in self.complications
        this = Engrafted(infused, dose, t["viability_percent"], clotted)
        found = assess(
            at, (*plan.earlier, this), plan.profile, plan.traits, plan.protocol, plan.model
        )
        return found.igls


CHECKS: dict[str, Callable[[PlainCase], bool]] = {
    "start_isolation": PlainCase.isolation_ok,
    "start_culture": PlainCase.yield_ok,
    "submit_for_release": PlainCase.culture_ok,
    "release": PlainCase.release_ok,
    "access_portal_vein": PlainCase.access_ok,
    "start_infusion": PlainCase.infusion_ok,
    "resume_infusion": PlainCase.pressure_ok,
}
"""The guard of each step that has one (the others always pass under this policy)."""

POLICY: dict[str, Callable[[PlainCase], None]] = {
    "harvest.procured": PlainCase.procured,
    "harvest.digesting": PlainCase.digesting,
    "purify.gradient": PlainCase.gradient,
    "purify.culture": PlainCase.culture,
    "purify.release_testing": PlainCase.release_testing,
    "purify.released": PlainCase.released,
    "infuse.access": PlainCase.access,
    "infuse.infusing": PlainCase.infusing,
    "infuse.paused": PlainCase.paused,
    "infuse.hemostasis": PlainCase.hemostasis,
    "immunosuppress.maintenance": PlainCase.maintenance,
    "immunosuppress.follow_up": PlainCase.follow_up,
}

__all__ = ["CHECKS", "POLICY", "TABLE", "PlainCase"]
