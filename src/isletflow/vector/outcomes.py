"""A chunk's outcome columns (``outcomes.COLUMNS``) from its arrays, without writing records.

``outcomes.columns`` reads them from course records; here each column is the record field it
counts, as ``vector.records.records`` writes that field: the infusions, the cumulative dose
rounded as the record rounds it, the infused procedures (one per infusion) and how many bled or
clotted, and the assessments every infused recipient has (a year after the last infusion, years
1-5 after the first). The differential test holds them equal to the columns of the records.
"""

from __future__ import annotations

import numpy as np

from ..elementwise import rounded
from ..outcomes import COLUMNS
from .course import Courses

__all__ = ["outcome_columns"]


def outcome_columns(courses: Courses) -> dict[str, np.ndarray]:
    """The ``outcomes.COLUMNS`` of each recipient of ``courses``, as float64 arrays."""
    infused = courses.infusions > 0
    first, fifth = courses.follow_up[0], courses.follow_up[4]
    found = {
        "infusions": courses.infusions,
        "cumulative_ieq_per_kg": rounded(courses.cumulative, 1),
        "procedures": courses.infusions,
        "bleedings": _count(courses, "bleeding"),
        "thromboses": _count(courses, "thrombosis"),
        "assessed_after_last": infused,
        "independent_after_last": infused & courses.one_year["insulin_independent"],
        "assessed_year_1": infused,
        "optimal_year_1": infused & (first["igls"] == "optimal"),
        "assessed_year_5": infused,
        "working_year_5": infused & (fifth["igls"] != "failure"),
    }
    return {name: np.asarray(found[name], dtype=np.float64) for name in COLUMNS}


def _count(courses: Courses, field: str) -> np.ndarray:
    """How many of each recipient's infused procedures have ``field`` (a flag per slot)."""
    total = np.zeros(courses.index.size, dtype=np.int64)
    for slot in courses.slots:  # slot k holds infusion k + 1, where given
        total += slot["given"] & slot[field]
    return total
