"""A chunk's courses as the cohort's output: the tallies and each recipient's course record.

``cohort_summary.Tally.add`` (per procedure case) and ``course_summary.CourseTally.add`` (per
course record) are the reference; here the same counts are made from arrays, so a chunk's
``Tally`` is equal to the per-case path's and ``CohortSummary`` identical. ``records`` writes
each recipient's record as ``course_run.course_record`` does, key for key.
"""

from __future__ import annotations

import ctypes
from collections import Counter
from typing import Any

import numpy as np

from ..assessment import MEASURES
from ..cohort_summary import Tally
from ..course_summary import CourseTally
from ..elementwise import rounded
from ..model.bleeding import APPROACHES
from ..recipient import CRITERIA
from .course import Courses, Donation
from .procedure import STATUSES, Procedures

__all__ = ["records", "tally"]

_MINUTE_US = 60_000_000
_DOSE_STEP = 10  # course_summary's step of cumulative dose


_PASSES = 6  # distinct objects found by a pass each before the rest are coded row by row
_PASS_COST = 16  # a pass costs about what the dict costs on 1/16 of a column's rows


def _codes(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Each value's code (0, 1, …) and the distinct values in code order: flags as they are,
    numbers by numpy's sort, texts and None in the order they first occur."""
    if values.dtype == bool:
        return values.astype(np.int64), [False, True]
    if values.dtype.kind in "iu" and (span := _span(values)) is not None:
        low, high = span  # whole numbers over a short range: the offset is the code
        return (values - low).astype(np.int64), list(range(low, high + 1))
    if values.dtype != object:
        found, inverse = np.unique(values, return_inverse=True)
        return inverse.reshape(values.shape), found.tolist()
    return _object_codes(values)


def _object_codes(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """``_codes`` of objects: a pass over the column for each of the first few distinct objects,
    compared by address (most rows hold one of a table's few texts), then the rows left by value
    in a dict, at once if a pass finds few rows (as when each row holds its own object)."""
    addresses = _addresses(values)
    codes = np.zeros(values.shape, dtype=np.int64)
    table: dict[Any, int] = {}  # each distinct value's code; equal texts share it
    unseen = np.ones(values.shape, dtype=bool)
    for _ in range(_PASSES):
        if not unseen.any():
            break
        first = int(np.argmax(unseen))
        same = addresses == addresses[first]
        codes += same * table.setdefault(values[first], len(table))  # (a masked store is slower)
        unseen &= ~same
        if np.count_nonzero(same) * _PASS_COST < values.size:
            break
    rest = np.flatnonzero(unseen)
    left = values[rest].tolist()
    for value in dict.fromkeys(left):
        table.setdefault(value, len(table))
    codes[rest] = np.fromiter(map(table.__getitem__, left), np.int64, len(left))
    return codes, list(table)


def _addresses(values: np.ndarray) -> np.ndarray:
    """Where each of the objects ``values`` holds lives (an object array is an array of
    pointers): rows holding the same object have the same address, and numpy compares those
    without calling Python's ``==`` for each row."""
    if not values.size:
        return np.zeros(values.shape, dtype=np.intp)
    values = np.ascontiguousarray(values)
    pointers = (ctypes.c_ssize_t * values.size).from_address(values.ctypes.data)
    return np.ctypeslib.as_array(pointers).reshape(values.shape).copy()


def _counted(*columns: np.ndarray) -> dict[tuple[Any, ...], int]:
    """How many rows hold each combination of the columns' values (only those that occur)."""
    coded = [_codes(column) for column in columns]
    shape = tuple(max(1, len(labels)) for _, labels in coded)
    key = coded[0][0]
    for (codes, _), size in zip(coded[1:], shape[1:], strict=True):
        key = key * size + codes
    counts = np.bincount(key, minlength=1) if key.size else np.zeros(0, dtype=np.int64)
    found = np.flatnonzero(counts)
    digits = np.unravel_index(found, shape)
    labelled = [
        map(labels.__getitem__, d.tolist()) for (_, labels), d in zip(coded, digits, strict=True)
    ]
    return dict(zip(zip(*labelled, strict=True), counts[found].tolist(), strict=True))


def _span(values: np.ndarray) -> tuple[int, int] | None:
    """The lowest and highest of whole numbers ``values`` when their range is short enough to
    count them by offset (``bincount``) rather than by sorting; None otherwise."""
    if not values.size:
        return None
    low, high = int(values.min()), int(values.max())
    return (low, high) if high - low < max(4096, 2 * values.size) else None


def _count(into: Counter[Any], values: np.ndarray) -> None:
    """Count each value of ``values`` into ``into`` (distinct values counted in numpy: whole
    numbers over a short range by their offset, others by sorting)."""
    if values.dtype.kind in "iu" and (span := _span(values)) is not None:
        counts = np.bincount(values - span[0])
        found = np.flatnonzero(counts)
        into.update(dict(zip((found + span[0]).tolist(), counts[found].tolist(), strict=True)))
        return
    found, counts = np.unique(values, return_counts=True)
    into.update(dict(zip(found.tolist(), counts.tolist(), strict=True)))


def _minutes(since: np.ndarray, until: np.ndarray) -> np.ndarray:
    """The minutes from ``since`` to ``until`` of the cases that reached both."""
    both = (since >= 0) & (until >= 0)
    minutes: np.ndarray = np.rint((until - since)[both] / _MINUTE_US).astype(np.int64)
    return minutes


def _times(p: Procedures, mine: np.ndarray | slice) -> dict[str, np.ndarray]:
    """The key times (``cohort_summary.TIMES``) of the cases ``mine``, to the minute."""
    started, infused = p.isolation_started[mine], p.infusion_started[mine]
    clamp = np.zeros(started.size, dtype=np.int64)
    return {
        "cold_ischemia": _minutes(clamp, started),
        "isolation_to_infusion": _minutes(started, infused),
        "release_to_infusion": _minutes(p.released[mine], infused),
        "total": _minutes(clamp, p.end[mine]),
    }


def _outcomes(out: Tally, donation: Donation, mine: np.ndarray | slice) -> None:
    """Count the cases ``mine`` of ``donation`` by outcome and code (a completed case's code
    is its graft's Igls grade)."""
    p = donation.procedures
    status = p.status[mine]
    code = np.where(status == 0, donation.grade[mine], p.code[mine])
    out.cases += status.size
    for (number, coded), k in _counted(status, code).items():
        reason = coded or ""  # a case without a code (None) counts under ""
        out.outcomes[STATUSES[number]] += k
        out.codes[STATUSES[number], reason] += k
        if STATUSES[number] == "discarded" and reason:
            out.release_failures.update(dict.fromkeys(reason.split("+"), k))


def _infusions(out: Tally, donation: Donation, mine: np.ndarray | slice) -> None:
    """Count the procedures of the cases ``mine`` of ``donation``: complications, and those
    per procedure by approach and by sealant, pauses and partial doses."""
    p = donation.procedures
    bleeding, clot = p.bleeding[mine], p.thrombosis[mine]
    out.complications.update({"bleeding": int(bleeding.sum())})
    out.complications.update({"portal_vein_thrombosis": int(clot.sum())})
    infused = p.infusion_started[mine] >= 0
    out.infused += int(infused.sum())
    if infused.any():
        approach = donation.plans.approach[mine][infused]
        sealant = p.sealant[mine][infused]
        both = _counted(approach, sealant, bleeding[infused], clot[infused])
        for (number, sealed, bled, clotted), k in both.items():
            way = APPROACHES[number]
            unsealed = "none" if way == "percutaneous" else "no track"
            for group in (("approach", way), ("sealant", unsealed if sealed is None else sealed)):
                out.groups[(*group, "")] += k
                out.groups[(*group, "bleeding")] += k if bled else 0
                out.groups[(*group, "portal_vein_thrombosis")] += k if clotted else 0
    out.paused += int(p.paused[mine].sum())
    out.partial_dose += int((infused & (p.fraction[mine] < 1)).sum())


def tally(courses: Courses, keep: np.ndarray) -> Tally:
    """The tally of the recipients ``keep`` (a mask over the chunk): their procedure cases,
    and their course records' counts. Times and doses are counted once, all rounds together:
    a Counter adds into an empty one in C, into one holding keys a key at a time in Python."""
    out = Tally()
    minutes: dict[str, list[np.ndarray]] = {name: [] for name in out.minutes}
    doses: list[np.ndarray] = []
    for donation in courses.rounds:
        mine = keep[donation.rows]
        cases = slice(None) if mine.all() else mine  # all of them: views, not copies
        _outcomes(out, donation, cases)
        _infusions(out, donation, cases)
        for name, span in _times(donation.procedures, cases).items():
            minutes[name].append(span)
        p = donation.procedures
        dose = p.dose_ieq_per_kg[cases][p.infusion_started[cases] >= 0]
        doses.append(np.rint(dose).astype(np.int64))
    for name, spans in minutes.items():
        _count(out.minutes[name], _joined(spans))
    _count(out.dose, _joined(doses))
    out.complications = +out.complications
    out.groups = +out.groups
    out.courses = _course_tally(courses, keep)
    return out


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """Whole numbers ``parts`` as one array (empty without parts)."""
    return np.concatenate([np.zeros(0, dtype=np.int64), *parts])


def _course_tally(courses: Courses, keep: np.ndarray) -> CourseTally:
    out = CourseTally()
    out.recipients = int(keep.sum())
    eligible = courses.eligible & keep
    out.eligible = int(eligible.sum())
    _count(out.infusions, courses.infusions[eligible])
    last = courses.one_year
    assessed = keep & (courses.infusions > 0)
    if not assessed.any():
        return out
    cumulative = rounded(courses.cumulative[assessed], 1)
    step = np.rint(cumulative / _DOSE_STEP).astype(np.int64)
    hba1c = np.asarray(last["hba1c_percent"][assessed], dtype=np.float64)
    events = np.asarray(last["severe_hypoglycaemia_events"][assessed], dtype=np.int64)
    controlled = (hba1c < 7.0) & (events == 0)
    independent = last["insulin_independent"][assessed].astype(bool)
    out.one_year.update(_counted(step, independent, controlled, last["igls"][assessed]))
    for year, seen in enumerate(courses.follow_up, start=1):
        independent = seen["insulin_independent"][assessed].astype(bool)
        pairs = _counted(independent, seen["igls"][assessed])
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
