"""One donor's procedure for a chunk: the standard policy through the workflow, as masked arrays.

The per-case engine (``simulation.StandardPolicy`` driving ``Case``) is the reference; this is
the same walk for many cases at once. Every case has a clock (``now``, microseconds from its
donor's cross-clamp) and the soonest armed deadline; each move waits, and a wait that passes
the deadline aborts the case at the deadline, as ``simulation.run`` does. The guards decide with
the guard predicates and ``rules`` (donor guards through ``GUARDS``, release through
``release.RELEASE_TESTS``), the patient's readings, the complications and their risks with the
same model functions and the same named streams as ``patient``.

Every branch of the standard policy is walked: there is no case this leaves to the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import numpy as np

from .. import rules
from ..guards import GUARDS, Facts
from ..model import management, management_steps, occurs
from ..model.bleeding import MANAGEMENTS, bleeding_probability
from ..model.parameters import ModelParameters
from ..model.thrombosis import main_branch, thrombosis_probability, track_ablated
from ..protocol import Protocol
from ..release import RELEASE_TESTS
from .infusion import Readings, infuse, reading
from .plans import Plans, Sections
from .streams import uniforms
from .walk import ABORTED, COMPLETED, DISCARDED, NO_CODE, STATUSES, Walk

__all__ = ["STATUSES", "run_procedures"]

_DONOR_GUARDS = ("donor_age", "donor_donation_type", "donor_exclusions", "preservation_accepted")
_DONOR_CODES = ("donor_ineligible",) * 3 + ("preservation_unaccepted",)


def us(value: timedelta) -> int:
    return value // timedelta(microseconds=1)


@dataclass(slots=True)
class Procedures:
    """What each case of a chunk came to (times in microseconds from its cross-clamp; -1: not
    reached)."""

    status: np.ndarray
    code: np.ndarray
    end: np.ndarray
    isolation_started: np.ndarray
    released: np.ndarray
    infusion_started: np.ndarray
    infusion_completed: np.ndarray
    fraction: np.ndarray
    dose_ieq_per_kg: np.ndarray
    paused: np.ndarray
    bleeding: np.ndarray
    thrombosis: np.ndarray
    main_branch: np.ndarray
    sealant: np.ndarray
    heparin: np.ndarray
    assessed_at: np.ndarray


def _complication(
    seed: int, index: np.ndarray, name: str, risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whether complication ``name`` of risk ``risk`` occurs to each case ``index``, by the first
    draw of its stream ``name``, and the second draw (what it comes to)."""
    u = uniforms(seed, index, name, 2)
    return np.asarray(occurs(risk, u[:, 0]), dtype=bool), u[:, 1]


def _bleeding_risk(
    plans: Plans, params: ModelParameters, rows: np.ndarray, rise: np.ndarray, **given: Any
) -> np.ndarray:
    """The bleeding risk of the cases at ``rows`` (the scenario's rate, or the model's with the
    pressure ``rise`` and the heparin and sealant ``given``, all of ``rows``)."""
    rate = plans.bleeding_rate
    return np.asarray(
        rate[rows]
        if rate is not None
        else bleeding_probability(
            procedure_number=plans.infusion_number[rows],
            platelets_per_ul=plans.platelets_per_ul[rows],
            pressure_rise_mmhg=rise,
            aspirin=plans.aspirin[rows],
            approach=plans.approach[rows],
            p=params.bleeding,
            **given,
        )
    )


def _clot_risk(
    plans: Plans, params: ModelParameters, rows: np.ndarray, rise: np.ndarray, **given: Any
) -> np.ndarray:
    """The thrombosis risk of the cases at ``rows`` (the scenario's rate, or the model's with
    the pressure ``rise`` and the packed cell volume and ablation ``given``, all of ``rows``)."""
    rate = plans.thrombosis_rate
    return np.asarray(
        rate[rows]
        if rate is not None
        else thrombosis_probability(
            heparinised=np.zeros(rows.size, dtype=bool),
            pressure_rise_mmhg=rise,
            p=params.thrombosis,
            **given,
        )
    )


def _donor_refusal(plans: Plans, protocol: Protocol, w: Walk) -> np.ndarray:
    """The number (``w.number``) of the abort code of the first donor guard that fails
    (``NO_CODE`` where all hold)."""
    donor = SimpleNamespace(**plans.donor)
    unused = cast(Any, None)
    facts = Facts(
        cast(Any, donor), unused, unused, protocol, unused, "harvest.procured", unused, None
    )
    code = np.full(plans.index.size, NO_CODE, dtype=np.int64)
    for name, failure in reversed(tuple(zip(_DONOR_GUARDS, _DONOR_CODES, strict=True))):
        holds = np.broadcast_to(np.asarray(GUARDS[name].holds(facts), dtype=bool), code.shape)
        code[~holds] = w.number(failure)
    return code


def _release_failures(plans: Plans, protocol: Protocol, recipient_id: str, w: Walk) -> np.ndarray:
    """The number (``w.number``) of the joined subcodes of the release tests that fail
    (``NO_CODE`` where all pass)."""
    n = plans.index.size
    prep = SimpleNamespace(**plans.prep)
    prep.ieq = plans.product_ieq
    prep.labelled_recipient_id = np.where(
        plans.prep["label_matches_recipient"], recipient_id, recipient_id + "-X"
    )
    weight = plans.weight_kg
    prep.dose_ieq_per_kg = lambda who: prep.ieq / who.weight_kg
    first = plans.infusion_number == 1
    failed = np.zeros(n, dtype=np.int64)  # bit t set: test t failed
    for bit, test in enumerate(RELEASE_TESTS):
        ok_first, ok_later = (
            np.asarray(test.rule(test.observed(cast(Any, prep), who), test.limit(protocol, who)))
            for who in (
                cast(Any, SimpleNamespace(id=recipient_id, weight_kg=weight, infusion_number=k))
                for k in (1, 2)
            )
        )
        passes = (first & ok_first) | (~first & ok_later)
        failed |= np.where(passes, 0, 1 << bit)
    # each set of failed tests found joined once, in the table's order
    number = np.full(1 << len(RELEASE_TESTS), NO_CODE, dtype=np.int64)
    found = np.flatnonzero(np.bincount(failed))
    for mask in found[found > 0].tolist():
        subcodes = (t.subcode for bit, t in enumerate(RELEASE_TESTS) if mask >> bit & 1)
        number[mask] = w.number("+".join(subcodes))
    failures: np.ndarray = number[failed]
    return failures


def run_procedures(sections: Sections, plans: Plans, seed: int, prefix: str) -> Procedures:
    """The standard policy's walk of each case of ``plans`` (its donor's streams ``prefix``)."""
    protocol = sections.scenario.protocol
    params = sections.params
    n = plans.index.size
    t = plans.timings
    w = Walk(n)
    everyone = np.ones(n, dtype=bool)

    # harvest.procured: start_isolation after the cold ischaemia
    w.arm(everyone, np.full(n, us(protocol.max_cold_ischemia)), "cold_ischemia_exceeded")
    w.wait(everyone, t["cold_ischemia"])
    refusal = _donor_refusal(plans, protocol, w)
    w.stop(refusal != NO_CODE, ABORTED, refusal, w.now)
    isolation_started = w.clock()
    w.disarm(w.alive)
    # digestion, then the gradient: culture (if any) needs a yield
    w.wait(w.alive, t["digestion"])
    w.wait(w.alive, t["purification"])
    cultured = t["culture"] > 0
    w.stop(cultured & ~(plans.purified_ieq > 0), ABORTED, "no_yield", w.now)
    w.arm(w.alive, w.now + us(protocol.max_culture), "islets_expired")
    w.wait(w.alive & cultured, t["culture"])
    # release testing, then release or reject
    w.wait(w.alive, t["release_testing"])
    failures = _release_failures(plans, protocol, sections.scenario.recipient.id, w)
    w.stop(failures != NO_CODE, DISCARDED, failures, w.now)
    released = w.clock()
    w.arm(w.alive, w.now + us(protocol.max_release_to_infusion), "islets_expired")
    # induction, heparin and access at their times before the planned infusion
    planned = w.now + t["release_to_infusion"]
    w.wait(w.alive, np.maximum(0, planned - t["induction_before_infusion"] - w.now))
    induction_at = w.now.copy()
    heparin_given = w.alive.copy()
    w.wait(w.alive, np.maximum(0, planned - t["access_to_infusion"] - w.now))
    ati = t["access_to_infusion"]
    # timedelta / 2, half to even: ati // 2, one more where ati and ati // 2 are odd (by shifts,
    # a fraction of the cost of // and %)
    half = (ati >> 1) + (ati & (ati >> 1) & 1)
    w.wait(w.alive, np.maximum(0, planned - half - w.now))
    readings = Readings(seed, plans.index, prefix + "portal_pressure.readings")
    reads = np.flatnonzero(w.alive)
    base = plans.pressure["baseline_mmhg"].copy()  # read where going (the others' unused)
    sd = plans.pressure["noise_sd_mmhg"][reads]
    base[reads] = reading(base[reads] + 0.0, sd, reads, readings)
    w.wait(w.alive, np.maximum(0, planned - w.now))
    # start_infusion: baseline pressure, induction window (waiting if it opens later)
    pressure_ok = np.asarray(rules.below(base, protocol.max_baseline_portal_pressure_mmhg))
    w.stop(~pressure_ok, ABORTED, "portal_pressure_high", w.now)
    low, high = (
        us(protocol.induction_min_before_infusion),
        us(protocol.induction_max_before_infusion),
    )
    age = w.now - induction_at
    w.wait(w.alive & (age < low), low - age)
    age = w.now - induction_at
    w.stop(~np.asarray(rules.within(age, low, high)), ABORTED, "induction_timing", w.now)
    started = w.clock()
    w.disarm(w.alive)

    infusing = w.alive.copy()
    infusion = infuse(plans, protocol, w, readings, base, params)
    completed_at = w.clock()  # the infusion ends no case
    fraction = infusion["fraction"]
    dose = plans.product_ieq / plans.weight_kg * fraction

    # hemostasis: a bleed is recorded at once, its management's first step with it
    percutaneous = plans.approach == 0
    sealed_with = percutaneous & (plans.track_sealant != "none")
    sealant_index = np.where(sealed_with, plans.sealant, 0)
    rise = np.maximum(0.0, infusion["peak"] - base)
    heparin = np.full(n, protocol.heparin_units_per_kg)
    going = np.flatnonzero(w.alive)
    bleed_risk = _bleeding_risk(
        plans,
        params,
        going,
        rise[going],
        heparin_units_per_kg=heparin[going],
        sealant=sealant_index[going],
    )
    bled, kind_u = _complication(
        seed, plans.index[going], prefix + "complications.bleeding", bleed_risk
    )
    bleeds = np.zeros(n, dtype=bool)
    bleeds[going] = bled
    # the access is sealed ``hemostasis`` after the last management step due by then [S18]
    hemostasis = t["hemostasis"]
    steps = [management_steps(name, params.bleed_management) for name in MANAGEMENTS]
    later = np.array([us(s[-1].after) if len(s) > 1 else -1 for s in steps], dtype=np.int64)
    second = later[np.asarray(management(kind_u, params.bleed_management))]
    first_due = bled & (second >= 0) & (second <= hemostasis[going])
    after = hemostasis.copy()
    after[going[first_due]] += second[first_due]
    w.wait(w.alive, after)
    unsealed = percutaneous & ~sealed_with & protocol.require_track_sealing
    w.stop(unsealed, ABORTED, "track_not_sealed", w.now)
    sealed_at = w.now.copy()
    sealed = w.alive.copy()

    # maintenance: the day-1 Doppler, troughs, follow-up, the graft assessed
    going = np.flatnonzero(w.alive)
    clot_risk = _clot_risk(
        plans,
        params,
        going,
        rise[going],
        packed_cell_volume_ml=plans.prep["tissue_volume_ml"][going] * fraction[going],
        track_ablated=track_ablated(sealant_index[going], plans.approach[going]),
    )
    clotted, branch_u = _complication(
        seed, plans.index[going], prefix + "complications.thrombosis", clot_risk
    )
    clots, main = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    clots[going] = clotted
    main[going] = clotted & np.asarray(main_branch(branch_u, params.thrombosis))
    doppler = us(timedelta(days=params.thrombosis.first_doppler_day))
    w.wait(clots, np.maximum(0, sealed_at + doppler - w.now))
    w.wait(w.alive, np.maximum(0, sealed_at + t["trough"] - w.now))
    w.wait(w.alive, t["follow_up"])
    w.wait(w.alive, t["assessment"])
    assessed_at = w.clock()
    w.stop(w.alive, COMPLETED, None, w.now)
    return Procedures(
        status=w.status,
        code=w.code_names(),
        end=w.end,
        isolation_started=isolation_started,
        released=released,
        infusion_started=started,
        infusion_completed=completed_at,
        fraction=np.where(infusing, fraction, np.nan),
        dose_ieq_per_kg=np.where(infusing, dose, np.nan),
        paused=infusion["paused"] & infusing,
        bleeding=bleeds,
        thrombosis=clots,
        main_branch=main,
        sealant=np.where(sealed & sealed_with, plans.track_sealant, np.array(None)),
        heparin=np.where(heparin_given, heparin, np.nan),
        assessed_at=assessed_at,
    )
