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

from ..assessment import MEASURES
from ..cohort_summary import Tally
from ..course_summary import CourseTally
from ..draws import rounded
from ..model.bleeding import APPROACHES
from ..recipient import CRITERIA
from .course import Courses
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
    cumulative = rounded(courses.cumulative, 1)
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


_KINDS = (bool, float, float, float, int, str)  # of the MEASURES, in their order


def _assessments(seen: dict[str, np.ndarray], year: int, rows: np.ndarray) -> list[dict[str, Any]]:
    """The assessment ``seen`` of each recipient of ``rows`` as a record's, ``year`` given."""
    columns = [
        [kind(v) for v in seen[name][rows].tolist()]
        for name, kind in zip(MEASURES, _KINDS, strict=True)
    ]
    return [
        {"year": year, **dict(zip(MEASURES, row, strict=True))}
        for row in zip(*columns, strict=True)
    ]


def _procedures(slot: dict[str, np.ndarray]) -> dict[int, dict[str, Any]]:
    """The procedure of ``slot`` of each recipient given one, as a record's, by row."""
    given = np.flatnonzero(slot["given"])
    slot = {name: values[given] for name, values in slot.items()}
    approach = [APPROACHES[a] for a in slot["approach"].tolist()]
    sealed = [
        (s is not None) if a == "percutaneous" else None
        for a, s in zip(approach, slot["sealant"].tolist(), strict=True)
    ]
    rows = zip(
        slot["infusion"].tolist(),
        approach,
        slot["induction_agent"].tolist(),
        rounded(slot["delivered"], 1).tolist(),
        slot["heparin"].tolist(),
        sealed,
        slot["bleeding"].tolist(),
        slot["thrombosis"].tolist(),
        strict=True,
    )
    return {
        row: dict(zip(_PROCEDURE, values, strict=True))
        for row, values in zip(given.tolist(), rows, strict=True)
    }


_PROCEDURE = (
    "infusion",
    "approach",
    "induction_agent",
    "delivered_ieq_per_kg",
    "heparin_u_per_kg",
    "track_sealed",
    "bleeding",
    "portal_vein_thrombosis",
)


def records(courses: Courses, seed: int, recipient: str) -> list[dict[str, Any]]:
    """Each recipient's ``course_record``, in chunk order (built a field at a time)."""
    cumulative = rounded(courses.cumulative, 1).tolist()
    failures = [
        [c.code for c, ok in zip(CRITERIA, passed, strict=True) if not ok]
        for passed in zip(*(p.tolist() for p in courses.ineligible_because), strict=True)
    ]
    slots = [_procedures(slot) for slot in courses.slots]
    infused_rows = np.flatnonzero(courses.infusions > 0)
    at = np.full(courses.index.size, -1)
    at[infused_rows] = np.arange(infused_rows.size)
    where = at.tolist()
    one_year = _assessments(courses.one_year, 1, infused_rows)
    years = [
        _assessments(seen, year, infused_rows)
        for year, seen in enumerate(courses.follow_up, start=1)
    ]
    eligible = courses.eligible.tolist()
    donors = courses.donors.tolist()
    out = []
    for row, (index, infused) in enumerate(
        zip(courses.index.tolist(), courses.infusions.tolist(), strict=True)
    ):
        out.append(
            {
                "seed": seed,
                "index": index,
                "recipient": recipient,
                "eligible": eligible[row],
                "ineligible_because": failures[row],
                "donors": donors[row],
                "infusions": infused,
                "cumulative_ieq_per_kg": cumulative[row],
                "procedures": [slot[row] for slot in slots[:infused]],
                "one_year_after_last_infusion": one_year[where[row]] if infused else None,
                "follow_up": [year[where[row]] for year in years] if infused else [],
            }
        )
    return out
