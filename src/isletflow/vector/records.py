"""A chunk's courses as the cohort's output: the tallies and each recipient's course record.

``cohort_summary.Tally.add`` (per procedure case) and ``course_summary.CourseTally.add`` (per
course record) are the reference; here the same counts are made from arrays, so a chunk's
``Tally`` is equal to the per-case path's and ``CohortSummary`` identical. ``records`` writes
each recipient's record as ``course_run.course_record`` does, key for key.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..cohort_summary import Tally
from ..course_summary import CourseTally
from ..model.bleeding import APPROACHES
from ..recipient import CRITERIA
from .course import Courses
from .exact import py_round
from .procedure import STATUSES

__all__ = ["records", "tally"]

_MINUTE_US = 60_000_000
_DOSE_STEP = 10  # course_summary's step of cumulative dose


def _count(into: Counter[Any], values: np.ndarray) -> None:
    """Count each value of ``values`` into ``into`` (distinct values counted in numpy)."""
    found, counts = np.unique(values, return_counts=True)
    into.update(dict(zip(found.tolist(), counts.tolist(), strict=True)))


def _minutes(into: Counter[int], since: np.ndarray, until: np.ndarray) -> None:
    both = (since >= 0) & (until >= 0)
    _count(into, np.rint((until[both] - since[both]) / _MINUTE_US).astype(np.int64))


def tally(courses: Courses, keep: np.ndarray) -> Tally:
    """The tally of the recipients ``keep`` (a mask over the chunk): their procedure cases,
    and their course records' counts."""
    out = Tally()
    for donation in courses.rounds:
        mine = keep[donation.rows]
        p, plans = donation.procedures, donation.plans
        status = np.asarray(STATUSES, dtype=object)[p.status[mine]]
        code = np.where(p.status[mine] == 0, donation.grade[mine], p.code[mine])
        code = np.where(code == None, "", code)  # noqa: E711 (elementwise)
        out.cases += int(mine.sum())
        out.outcomes.update(status.tolist())
        out.codes.update(zip(status.tolist(), code.tolist(), strict=True))
        for sub, k in Counter(code[status == "discarded"].tolist()).items():
            out.release_failures.update(dict.fromkeys(sub.split("+") if sub else [], k))
        bleeding, clot = p.bleeding[mine], p.thrombosis[mine]
        out.complications.update({"bleeding": int(bleeding.sum())})
        out.complications.update({"portal_vein_thrombosis": int(clot.sum())})
        infused = p.infusion_started[mine] >= 0
        out.infused += int(infused.sum())
        approach = np.asarray(APPROACHES, dtype=object)[plans.approach[mine]]
        unsealed = np.where(approach == "percutaneous", "none", "no track")
        sealant = np.where(p.sealant[mine] == None, unsealed, p.sealant[mine])  # noqa: E711
        for group, values in (("approach", approach), ("sealant", sealant)):
            for kind, flags in (("", infused), ("bleeding", bleeding), ("thrombosis", clot)):
                what = "portal_vein_thrombosis" if kind == "thrombosis" else kind
                counted = Counter(values[flags & infused].tolist())
                out.groups.update({(group, v, what): k for v, k in counted.items()})
        out.paused += int(p.paused[mine].sum())
        out.partial_dose += int((infused & (p.fraction[mine] < 1)).sum())
        clamp0 = np.zeros(int(mine.sum()), dtype=np.int64)
        started, inf = p.isolation_started[mine], p.infusion_started[mine]
        _minutes(out.minutes["cold_ischemia"], clamp0, started)
        _minutes(out.minutes["isolation_to_infusion"], started, inf)
        _minutes(out.minutes["release_to_infusion"], p.released[mine], inf)
        _minutes(out.minutes["total"], clamp0, p.end[mine])
        dose = p.dose_ieq_per_kg[mine][infused]
        _count(out.dose, np.rint(dose).astype(np.int64))
    out.complications = +out.complications
    out.courses = _course_tally(courses, keep)
    return out


def _course_tally(courses: Courses, keep: np.ndarray) -> CourseTally:
    out = CourseTally()
    out.recipients = int(keep.sum())
    eligible = courses.eligible & keep
    out.eligible = int(eligible.sum())
    out.infusions.update(courses.infusions[eligible].tolist())
    last = courses.one_year
    assessed = keep & (courses.infusions > 0)
    cumulative = py_round(courses.cumulative, 1)
    step = np.rint(cumulative / _DOSE_STEP).astype(np.int64)
    hba1c = np.asarray(last["hba1c_percent"][assessed], dtype=np.float64)
    events = np.asarray(last["severe_hypoglycaemia_events"][assessed], dtype=np.int64)
    controlled = (hba1c < 7.0) & (events == 0)
    out.one_year.update(
        zip(
            step[assessed].tolist(),
            last["insulin_independent"][assessed].astype(bool).tolist(),
            controlled.tolist(),
            last["igls"][assessed].tolist(),
            strict=True,
        )
    )
    for year, seen in enumerate(courses.follow_up, start=1):
        independent = seen["insulin_independent"][assessed].tolist()
        pairs = Counter(zip(independent, seen["igls"][assessed].tolist(), strict=True))
        out.years.update({(year, ii, g): k for (ii, g), k in pairs.items()})
    return out


def _assessment(seen: dict[str, np.ndarray], row: int, year: int) -> dict[str, Any]:
    return {
        "year": year,
        "insulin_independent": bool(seen["insulin_independent"][row]),
        "c_peptide_stimulated_ng_per_ml": float(seen["c_peptide_stimulated_ng_per_ml"][row]),
        "insulin_units_per_kg_per_day": float(seen["insulin_units_per_kg_per_day"][row]),
        "hba1c_percent": float(seen["hba1c_percent"][row]),
        "severe_hypoglycaemia_events": int(seen["severe_hypoglycaemia_events"][row]),
        "igls": str(seen["igls"][row]),
    }


def records(courses: Courses, seed: int, recipient: str) -> list[dict[str, Any]]:
    """Each recipient's ``course_record``, in chunk order."""
    cumulative = py_round(courses.cumulative, 1).tolist()
    failures = [
        [c.code for c, ok in zip(CRITERIA, passed, strict=True) if not ok]
        for passed in zip(*(p.tolist() for p in courses.ineligible_because), strict=True)
    ]
    delivered = [py_round(s["delivered"], 1).tolist() for s in courses.slots]
    out = []
    for row, index in enumerate(courses.index.tolist()):
        infused = int(courses.infusions[row])
        procedures = []
        for number, slot in enumerate(courses.slots[:infused]):
            approach = APPROACHES[int(slot["approach"][row])]
            sealant = slot["sealant"][row]
            procedures.append(
                {
                    "infusion": int(slot["infusion"][row]),
                    "approach": approach,
                    "induction_agent": slot["induction_agent"][row],
                    "delivered_ieq_per_kg": delivered[number][row],
                    "heparin_u_per_kg": float(slot["heparin"][row]),
                    "track_sealed": (sealant is not None) if approach == "percutaneous" else None,
                    "bleeding": bool(slot["bleeding"][row]),
                    "portal_vein_thrombosis": bool(slot["thrombosis"][row]),
                }
            )
        out.append(
            {
                "seed": seed,
                "index": index,
                "recipient": recipient,
                "eligible": bool(courses.eligible[row]),
                "ineligible_because": failures[row],
                "donors": int(courses.donors[row]),
                "infusions": infused,
                "cumulative_ieq_per_kg": float(cumulative[row]),
                "procedures": procedures,
                "one_year_after_last_infusion": (
                    _assessment(courses.one_year, row, 1) if infused else None
                ),
                "follow_up": [
                    _assessment(seen, row, year)
                    for year, seen in enumerate(courses.follow_up, start=1)
                    if infused
                ],
            }
        )
    return out
