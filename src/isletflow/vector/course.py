"""The recipients' courses for a chunk: donors one after another, the graft followed for years.

``course_run.simulate_course`` with ``course.Course`` is the reference. A loop over donors
(never over recipients): the recipients awaiting their ``k``-th donor get its plans (its own
streams, cross-clamped ``course.donor_wait`` after the course's last moment), their procedures
walk (``vector.procedure``), and those infused take the graft; at the re-infusion decision
(``Protocol.reinfusion_decision_after`` the last infusion) a recipient waits for a further donor
unless insulin-independent, barred by a main-branch thrombosis, at the most infusions or out of
donors. A donor whose product is not infused is followed by the next one, ``donor_wait`` after
its cross-clamp. Assessments fall on the same moments as the course's deadlines: years 1-5
after the first infusion, one year after the last; each is ``assess`` of the graft model
(``isletflow.assessment``) over the infusions engrafted before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from ..assessment import measured
from ..model import graft
from ..model.parameters import ModelParameters
from ..protocol import Protocol
from ..recipient import CRITERIA
from .plans import Plans, Sections
from .procedure import Procedures, run_procedures

__all__ = ["Courses", "run_courses"]

_US = timedelta(microseconds=1)
YEAR = timedelta(days=365) // _US  # the course's follow-up year (course.YEAR)
_GRAFT_YEAR = timedelta(days=365.25) // _US  # the graft model's year (assessment._YEAR)
FOLLOW_UP_YEARS = 5
_MOST_INFUSIONS = 3
_NONE = np.array(None, dtype=object)


@dataclass(slots=True)
class Infused:
    """What each infusion of a course engrafted: one array per field, a row per recipient."""

    at: np.ndarray
    delivered: np.ndarray
    viability: np.ndarray
    thrombosis: np.ndarray
    given: np.ndarray


def assess(
    at: np.ndarray,
    infusions: list[Infused],
    profile: dict[str, np.ndarray],
    traits: tuple[np.ndarray, np.ndarray],
    protocol: Protocol,
    params: ModelParameters,
) -> dict[str, np.ndarray]:
    """``assessment.assess`` at ``at`` for each recipient, over the infusions given so far."""
    p = params.graft
    need, attrition = traits
    mass = np.zeros(at.shape)
    for infusion in infusions:
        rows = np.flatnonzero(infusion.given)  # the model runs only where it was given
        engrafted = graft.engrafted_ieq_per_kg(
            infusion.delivered[rows], infusion.viability[rows], infusion.thrombosis[rows], p
        )
        years = (at[rows] - infusion.at[rows]) / _GRAFT_YEAR
        mass[rows] += graft.surviving_ieq_per_kg(engrafted, years, attrition[rows])
    seen: dict[str, np.ndarray] = measured(
        mass / need,
        profile["insulin_units_per_kg_per_day"],
        profile["hba1c_percent"],
        profile["severe_hypoglycaemia_events"],
        protocol.graft_failure_c_peptide_ng_per_ml,
        p,
    )
    return seen


@dataclass(slots=True)
class Donation:
    """One round of donors: the recipients (rows of the chunk) it went to, their plans, their
    procedures, each case's cross-clamp, and the Igls grade of each completed case."""

    rows: np.ndarray
    plans: Plans
    procedures: Procedures
    clamp: np.ndarray
    grade: np.ndarray


@dataclass(slots=True)
class Courses:
    """A chunk's courses: per recipient, eligibility, donors, infusions, the procedures infused
    (up to three slots), and the assessments of its record."""

    index: np.ndarray
    eligible: np.ndarray
    ineligible_because: list[np.ndarray]
    donors: np.ndarray
    infusions: np.ndarray
    cumulative: np.ndarray
    slots: list[dict[str, np.ndarray]]
    one_year: dict[str, np.ndarray]
    follow_up: list[dict[str, np.ndarray]]
    rounds: list[Donation] = field(default_factory=list)
    latest: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _slot(n: int) -> dict[str, Any]:
    return {
        "given": np.zeros(n, dtype=bool),
        "infusion": np.zeros(n, dtype=np.int64),
        "approach": np.zeros(n, dtype=np.int64),
        "induction_agent": np.full(n, None, dtype=object),
        "delivered": np.zeros(n),
        "heparin": np.zeros(n),
        "sealant": np.full(n, None, dtype=object),
        "bleeding": np.zeros(n, dtype=bool),
        "thrombosis": np.zeros(n, dtype=bool),
        "at": np.zeros(n, dtype=np.int64),
        "viability": np.zeros(n),
    }


def run_courses(sections: Sections, seed: int, index: np.ndarray) -> Courses:
    """The courses of recipients ``index`` under ``seed``."""
    scenario, params = sections.scenario, sections.params
    protocol = scenario.protocol
    n = index.size
    profile = sections.profiles(seed, index)
    settings = sections.course_values(seed, index)
    who = sections.recipients(seed, index, settings)
    traits = sections.traits(seed, index)
    passed = [np.asarray(c.rule(profile[c.field], c.limit), dtype=bool) for c in CRITERIA]
    eligible = np.logical_and.reduce(passed)
    max_donors = settings["max_donors"]
    most = min(protocol.max_infusions, _MOST_INFUSIONS)
    decision_after = protocol.reinfusion_decision_after // _US

    now = np.zeros(n, dtype=np.int64)
    donors = np.zeros(n, dtype=np.int64)
    infusions = np.zeros(n, dtype=np.int64)
    barred = np.zeros(n, dtype=bool)
    waiting = eligible.copy()
    latest = np.zeros(n, dtype=np.int64)
    slots = [_slot(n) for _ in range(_MOST_INFUSIONS)]
    rounds: list[Donation] = []
    k = 0
    while waiting.any():
        k += 1
        rows = np.flatnonzero(waiting)
        clamp = now[rows].copy()
        if k > 1:
            clamp += sections.course_values(seed, index[rows], k)["donor_wait"]
        number = infusions[rows] + 1
        plans = sections.plans(
            seed, index[rows], k, number, {name: v[rows] for name, v in who.items()}
        )
        prefix = "" if k == 1 else f"donor{k}."
        done = run_procedures(sections, plans, seed, prefix)
        donors[rows] += 1
        now[rows] = clamp
        latest[rows] = np.maximum(latest[rows], clamp + done.end)
        infused = done.infusion_completed >= 0
        took = rows[infused]
        for slot_number in range(_MOST_INFUSIONS):
            at_slot = np.flatnonzero(infused & (infusions[rows] == slot_number))
            slot, which = slots[slot_number], rows[at_slot]
            slot["given"][which] = True
            slot["infusion"][which] = number[at_slot]
            slot["approach"][which] = plans.approach[at_slot]
            slot["induction_agent"][which] = plans.induction_agent[at_slot]
            slot["delivered"][which] = done.dose_ieq_per_kg[at_slot]
            slot["heparin"][which] = done.heparin[at_slot]
            slot["sealant"][which] = done.sealant[at_slot]
            slot["bleeding"][which] = done.bleeding[at_slot]
            slot["thrombosis"][which] = done.thrombosis[at_slot]
            slot["at"][which] = clamp[at_slot] + done.infusion_completed[at_slot]
            slot["viability"][which] = plans.prep["viability_percent"][at_slot]
        infusions[took] += 1
        barred[took] |= done.main_branch[infused]
        given = _infused(slots)
        grade = np.full(rows.size, None, dtype=object)
        completed = done.assessed_at >= 0
        if completed.any():
            at = clamp + done.assessed_at
            mine = _subset(given, rows), _sub(profile, rows), _sub(traits, rows)
            seen = assess(at, *mine, protocol, params)
            grade = np.where(completed, seen["igls"], _NONE)
        rounds.append(Donation(rows, plans, done, clamp, grade))
        # the decision after the last infusion; a donor not infused is followed by the next
        decision = _last(slots, infusions)[took] + decision_after
        theirs = _subset(given, took), _sub(profile, took), _sub(traits, took)
        seen = assess(decision, *theirs, protocol, params)
        again = (
            ~seen["insulin_independent"]
            & ~barred[took]
            & (infusions[took] < most)
            & (donors[took] < max_donors[took])
        )
        waiting = np.zeros(n, dtype=bool)
        missed = rows[~infused]
        waiting[missed] = donors[missed] < max_donors[missed]
        waiting[took] = again
        now[took] = np.where(again, decision, now[took])
    given = _infused(slots)
    infused_any = infusions > 0
    first_at = slots[0]["at"]
    last_at = _last(slots, infusions)
    one_year = assess(last_at + YEAR, given, profile, traits, protocol, params)
    follow_up = [
        assess(first_at + year * YEAR, given, profile, traits, protocol, params)
        for year in range(1, FOLLOW_UP_YEARS + 1)
    ]
    cumulative = np.zeros(n)
    for slot in slots:
        cumulative = np.where(slot["given"], cumulative + slot["delivered"], cumulative)
    return Courses(
        index=index,
        eligible=eligible,
        ineligible_because=passed,
        donors=donors,
        infusions=infusions,
        cumulative=cumulative,
        slots=slots,
        one_year=one_year,
        follow_up=follow_up,
        rounds=rounds,
        latest=np.where(
            infused_any,
            np.maximum.reduce([latest, first_at + FOLLOW_UP_YEARS * YEAR, last_at + YEAR]),
            latest,
        ),
    )


def _infused(slots: list[dict[str, Any]]) -> list[Infused]:
    return [
        Infused(s["at"], s["delivered"], s["viability"], s["thrombosis"], s["given"]) for s in slots
    ]


def _subset(infusions: list[Infused], rows: np.ndarray) -> list[Infused]:
    return [
        Infused(i.at[rows], i.delivered[rows], i.viability[rows], i.thrombosis[rows], i.given[rows])
        for i in infusions
    ]


def _sub(values: Any, rows: np.ndarray) -> Any:
    if isinstance(values, dict):
        return {k: v[rows] for k, v in values.items()}
    return tuple(v[rows] for v in values)


def _last(slots: list[dict[str, Any]], infusions: np.ndarray) -> np.ndarray:
    """When each recipient's last infusion ended (0 for none)."""
    at = np.stack([s["at"] for s in slots])
    last: np.ndarray = at[np.maximum(infusions - 1, 0), np.arange(infusions.size)]
    return last
