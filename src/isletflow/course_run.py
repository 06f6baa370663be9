"""Simulating one recipient's course, and its record: what every tool reads of a course.

``simulate_course(scenario, seed, index)`` enrols recipient ``index`` and drives its
procedures through the one per-case engine (``simulation.run`` with a policy): the first
donor's case is exactly the scenario's single case ``index``; a later donor is cross-clamped
after the scenario's ``course.donor_wait`` and draws from its own streams. The recipient's
values (weight, eligibility data, graft traits) are the same for every donor.

The steps of a course that every driver takes alike are here once: ``enrol`` (the recipient
of case ``index``), ``next_slot`` and ``slot_plan`` (which donor comes next, cross-clamped
when, after what was engrafted, and its ``CasePlan``) and ``to_next_input`` (the course
brought to where it needs its next procedure or decision). ``simulate_course`` drives them with
a policy and the protocol's rule; a trainee's course (``isletflow.training.course``) with a
person.

``course_record(course)`` is the output contract: one JSON object per recipient, as
``isletflow cohort --out`` writes and ``isletflow simulate --format json`` prints.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .assessment import Engrafted, Measured, measures
from .case import Case
from .course import YEAR, Course
from .course_events import Assessed, DecidedBy, Enrolled
from .models import Approach, UtcDatetime
from .sampling import CasePlan, PlanSampler
from .scenario import Scenario
from .simulation import Policy, StandardPolicy, run, start

__all__ = [
    "CourseRecord",
    "DonorSlot",
    "course_record",
    "enrol",
    "next_slot",
    "simulate_course",
    "slot_plan",
    "to_next_input",
]


class DonorSlot(BaseModel):
    """Where a donor's case stands in its recipient's course: the ``donor``-th donor, for the
    ``infusion``-th infusion, cross-clamped at ``cross_clamp_at`` (None: the scenario's own,
    the first donor's), after what the earlier infusions engrafted. JSON-ready, so a training
    lab carries it (``ScenarioLab.slot``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    donor: int = Field(1, ge=1)
    infusion: int = Field(1, ge=1, le=3)
    cross_clamp_at: UtcDatetime | None = None
    earlier: tuple[Engrafted, ...] = ()


def enrol(
    sampler: PlanSampler, seed: int, index: int, *, decided_by: DecidedBy = "protocol"
) -> Course:
    """Recipient ``index``'s course under ``seed``, enrolled at its first donor's cross-clamp;
    ``decided_by="clinician"`` waits for a person's re-infusion decisions (``Course.decide``)."""
    plan = sampler.sample(seed, index)
    enrolled = Enrolled(
        at=plan.donor.cross_clamp_at,
        seed=seed,
        index=index,
        recipient=plan.recipient,
        profile=plan.profile,
        traits=plan.traits,
        protocol=plan.protocol,
        model=plan.model,
        max_donors=sampler.course(seed, index)["max_donors"],
        decided_by=decided_by,
    )
    return Course.enrol(enrolled)


def next_slot(course: Course, sampler: PlanSampler) -> DonorSlot:
    """The slot of the course's next donor: a later one is cross-clamped the scenario's
    ``course.donor_wait`` (drawn for that donor) after the course's now."""
    donor = course.donors + 1
    clamp = None
    if donor > 1:
        e = course.enrolled
        clamp = course.now + sampler.course(e.seed, e.index, donor)["donor_wait"]
    return DonorSlot(
        donor=donor,
        infusion=course.next_infusion,
        cross_clamp_at=clamp,
        earlier=tuple(course.engrafted),
    )


def slot_plan(sampler: PlanSampler, seed: int, index: int, slot: DonorSlot) -> CasePlan:
    """The ``CasePlan`` of recipient ``index``'s donor in ``slot`` (a later donor draws from its
    own streams; the recipient's values are the same for every donor)."""
    plan = sampler.sample(
        seed,
        index,
        infusion=slot.infusion,
        donor_number=slot.donor,
        cross_clamp_at=slot.cross_clamp_at,
    )
    return dataclasses.replace(plan, earlier=slot.earlier)


def to_next_input(course: Course) -> None:
    """Bring ``course`` on to its re-infusion decision after a procedure, and after a decision
    against a further infusion to the end of its follow-up; a course awaiting a donor, a
    clinician's decision, or ended stays where it is."""
    decision = course.deadlines.get("reinfusion_decision")
    if course.stage == "follow_up" and decision is not None:
        course.advance(decision - course.now)
    if course.stage == "follow_up" and course.deadlines:
        course.advance(max(course.deadlines.values()) - course.now)


def simulate_course(
    scenario: Scenario,
    seed: int | None = None,
    index: int = 0,
    *,
    policy: Policy | None = None,
    sampler: PlanSampler | None = None,
) -> Course:
    """Simulate recipient ``index``'s whole course (seed: the argument, else the file's)."""
    chosen = scenario.seed_for(seed)
    sampler = sampler or PlanSampler(scenario)
    policy = policy or StandardPolicy()
    course = enrol(sampler, chosen, index)
    while course.stage == "awaiting_donor":
        case, world = start(slot_plan(sampler, chosen, index, next_slot(course, sampler)))
        course.add_procedure(run(case, world, policy))
        to_next_input(course)
    return course


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _Yearly(_Record):
    year: int = Field(ge=1)


class AssessmentRecord(Measured, _Yearly):
    """Graft function at one assessment; ``year`` counts from the infusion it follows."""


class ProcedureRecord(_Record):
    """One infused procedure of the course."""

    infusion: int = Field(ge=1, le=3)
    approach: Literal["percutaneous", "laparoscopic", "open"]
    induction_agent: str | None
    delivered_ieq_per_kg: float | None = Field(ge=0)
    heparin_u_per_kg: float | None = Field(ge=0)
    track_sealed: bool | None = Field(description="None for surgical access (no track)")
    bleeding: bool
    portal_vein_thrombosis: bool


class CourseRecord(_Record):
    """One recipient's course: the line ``isletflow cohort --out`` writes (``docs/course.md``)."""

    seed: int
    index: int
    recipient: str
    eligible: bool
    ineligible_because: list[str]
    donors: int = Field(ge=0)
    infusions: int = Field(ge=0, le=3)
    cumulative_ieq_per_kg: float = Field(ge=0, description="Delivered, summed over infusions")
    procedures: list[ProcedureRecord]
    one_year_after_last_infusion: AssessmentRecord | None
    follow_up: list[AssessmentRecord] = Field(description="Years 1-5 after the first infusion")


def _assessment(event: Assessed, year: int) -> AssessmentRecord:
    return AssessmentRecord(year=year, **measures(event))


def _procedure(case: Case) -> ProcedureRecord:
    record = case.record
    kinds = {c.kind for c in record.complications}
    percutaneous = case.approach is Approach.PERCUTANEOUS
    dose = record.dose_delivered_ieq_per_kg
    return ProcedureRecord(
        infusion=case.recipient.infusion_number,
        approach=case.approach.value,
        induction_agent=record.inductions[0].agent if record.inductions else None,
        delivered_ieq_per_kg=None if dose is None else round(dose, 1),
        heparin_u_per_kg=record.heparin_units_per_kg,
        track_sealed=(record.track_sealant is not None) if percutaneous else None,
        bleeding="bleeding" in kinds,
        portal_vein_thrombosis="portal_vein_thrombosis" in kinds,
    )


def course_record(course: Course) -> dict[str, Any]:
    """The recipient's course as one JSON-ready object, a ``CourseRecord``'s data.

    ``follow_up`` holds the assessments at years 1-5 after the FIRST infusion;
    ``one_year_after_last_infusion`` the one a year after the LAST (its ``year`` is 1), or
    None without an infusion. ``procedures`` lists the infused procedures only; ``donors``
    counts every donor offered, infused or not."""
    enrolled = course.enrolled
    assessed = [e for e in course.timeline if isinstance(e, Assessed)]
    last = course.engrafted[-1].at + YEAR if course.engrafted else None
    one_year = [e for e in assessed if e.purpose == "one_year_after_last" and e.at == last]
    record = CourseRecord(
        seed=enrolled.seed,
        index=enrolled.index,
        recipient=enrolled.recipient.id,
        eligible=course.eligibility.eligible,
        ineligible_because=[f.code for f in course.eligibility.failures],
        donors=course.donors,
        infusions=course.infusions,
        cumulative_ieq_per_kg=round(course.cumulative_ieq_per_kg, 1),
        procedures=[_procedure(case) for case in course.cases if case.record.infusion_started_at],
        one_year_after_last_infusion=_assessment(one_year[0], 1) if one_year else None,
        follow_up=[_assessment(e, e.year) for e in assessed if e.purpose == "follow_up"],
    )
    data: dict[str, Any] = record.model_dump(mode="json")
    return data
