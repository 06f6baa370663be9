"""What each recipient of a cohort came to: the outcomes a sensitivity analysis and a paired
comparison report, one definition for both.

Every outcome is a ratio over the cohort, a sum of numerators over a sum of denominators, each
recipient giving one of each from its course record (``course_run.course_record``, the line
``simulate_cohort(records=)`` receives); the rates are those of the cohort's summary
(``CohortSummary``), e.g. bleeding per infused procedure, insulin independence over the
recipients assessed a year after their last infusion. Each recipient's values are kept (a
paired comparison needs them): the outcomes are defined once (``values``) on a few columns of
the course record (``COLUMNS``), which a cohort's chunks return as arrays, read from the records
of the per-case engine (``columns``) or made by the vector path from its own arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["COLUMNS", "OUTCOMES", "columns", "rates", "values"]

OUTCOMES: dict[str, str] = {
    "insulin_independent_one_year_after_last": "insulin-independent one year after the last "
    "infusion (of the recipients assessed then)",
    "infusions_per_recipient": "infusions per recipient infused",
    "cumulative_ieq_per_kg": "cumulative delivered dose, IEQ/kg per recipient infused",
    "bleeding_per_procedure": "bleeding per infused procedure",
    "thrombosis_per_procedure": "portal-vein thrombosis per infused procedure",
    "igls_optimal_year_1": "Igls optimal one year after the first infusion (of those assessed)",
    "graft_function_year_5": "graft function (Igls not failure) five years after the first "
    "infusion (of those assessed)",
}
"""The outcomes, by name, with what each counts."""


COLUMNS = (
    "infusions",
    "cumulative_ieq_per_kg",
    "procedures",
    "bleedings",
    "thromboses",
    "assessed_after_last",
    "independent_after_last",
    "assessed_year_1",
    "optimal_year_1",
    "assessed_year_5",
    "working_year_5",
)
"""What the outcomes read of each recipient's course record, one array per name: its
infusions, cumulative dose, infused procedures and how many bled or clotted, and whether it
was assessed a year after its last infusion (and then insulin-independent), at year 1 after
its first (and then Igls optimal), at year 5 (and then not a failure)."""


def _year(record: Mapping[str, Any], year: int) -> Mapping[str, Any] | None:
    return next((a for a in record["follow_up"] if a["year"] == year), None)


def columns(records: Iterable[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """The ``COLUMNS`` of course records (``course_run.course_record``'s dicts), a row each.
    The vector path makes the same columns from its arrays (``vector.records``)."""
    rows = []
    for record in records:
        procedures = record["procedures"]
        last = record["one_year_after_last_infusion"]
        first, fifth = _year(record, 1), _year(record, 5)
        rows.append(
            (
                record["infusions"],
                record["cumulative_ieq_per_kg"],
                len(procedures),
                sum(p["bleeding"] for p in procedures),
                sum(p["portal_vein_thrombosis"] for p in procedures),
                last is not None,
                bool(last and last["insulin_independent"]),
                first is not None,
                bool(first and first["igls"] == "optimal"),
                fifth is not None,
                bool(fifth and fifth["igls"] != "failure"),
            )
        )
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(COLUMNS))
    return {name: table[:, i] for i, name in enumerate(COLUMNS)}


def values(found: Mapping[str, np.ndarray]) -> np.ndarray:
    """Each recipient's numerator and denominator of each outcome, from its ``COLUMNS``:
    recipients × 2 (numerator, denominator) × outcomes, in ``OUTCOMES``' order."""
    treated = (np.asarray(found["infusions"]) > 0).astype(np.float64)
    procedures = found["procedures"]
    pairs = (
        (found["independent_after_last"], found["assessed_after_last"]),
        (found["infusions"], treated),
        (found["cumulative_ieq_per_kg"], treated),
        (found["bleedings"], procedures),
        (found["thromboses"], procedures),
        (found["optimal_year_1"], found["assessed_year_1"]),
        (found["working_year_5"], found["assessed_year_5"]),
    )
    return np.stack([np.stack(pair) for pair in pairs], axis=-1).transpose(1, 0, 2)


def rates(values: np.ndarray) -> np.ndarray:
    """Each outcome over the recipients of ``values`` (recipients × 2 × outcomes); NaN where
    no recipient counts (nobody assessed, no procedure)."""
    top, bottom = values[:, 0, :].sum(axis=0), values[:, 1, :].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / bottom, np.nan)
