"""What each recipient of a cohort came to: the outcomes a sensitivity analysis and a paired
comparison report, one definition for both.

Every outcome is a ratio over the cohort, a sum of numerators over a sum of denominators, each
recipient giving one of each from its course record (``course_run.course_record``, the line
``simulate_cohort(records=)`` receives); the rates are those of the cohort's summary
(``CohortSummary``), e.g. bleeding per infused procedure, insulin independence over the
recipients assessed a year after their last infusion. Reading the records, not the summary,
keeps every recipient's values, which a paired comparison needs.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

from .cohort import simulate_cohort
from .scenario import Scenario

__all__ = ["OUTCOMES", "cohort_outcomes", "rates", "runner"]

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


def _year(record: Mapping[str, Any], year: int) -> Mapping[str, Any] | None:
    return next((a for a in record["follow_up"] if a["year"] == year), None)


def recipient_outcomes(record: Mapping[str, Any]) -> tuple[float, ...]:
    """One recipient's numerator and denominator of each outcome, in turn (``values`` makes
    the array of many)."""
    procedures = record["procedures"]
    treated = 1.0 if record["infusions"] else 0.0
    last = record["one_year_after_last_infusion"]
    first, fifth = _year(record, 1), _year(record, 5)
    return (
        float(bool(last and last["insulin_independent"])),
        float(last is not None),
        float(record["infusions"]),
        treated,
        float(record["cumulative_ieq_per_kg"]),
        treated,
        float(sum(p["bleeding"] for p in procedures)),
        float(len(procedures)),
        float(sum(p["portal_vein_thrombosis"] for p in procedures)),
        float(len(procedures)),
        float(bool(first and first["igls"] == "optimal")),
        float(first is not None),
        float(bool(fifth and fifth["igls"] != "failure")),
        float(fifth is not None),
    )


def values(records: list[tuple[float, ...]]) -> np.ndarray:
    """Recipients' ``recipient_outcomes`` as one array: recipients × 2 (numerator,
    denominator) × outcomes."""
    flat = np.array(records, dtype=np.float64).reshape(len(records), len(OUTCOMES), 2)
    return flat.transpose(0, 2, 1)


def rates(values: np.ndarray) -> np.ndarray:
    """Each outcome over the recipients of ``values`` (recipients × 2 × outcomes); NaN where
    no recipient counts (nobody assessed, no procedure)."""
    top, bottom = values[:, 0, :].sum(axis=0), values[:, 1, :].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / bottom, np.nan)


class _Outcomes(io.StringIO):
    """A text sink for ``simulate_cohort(records=)`` that keeps each recipient's outcomes and
    lets its line go (so memory holds numbers, not JSON)."""

    def __init__(self) -> None:
        super().__init__()
        self._partial = ""
        self.rows: list[np.ndarray] = []

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        found = [recipient_outcomes(json.loads(line)) for line in lines if line]
        if found:
            self.rows.append(values(found))
        return len(text)


def cohort_outcomes(
    scenario: Scenario,
    n: int,
    seed: int,
    executor: Executor | None = None,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Recipients 0 … n-1 of ``scenario`` under ``seed`` (``cohort.simulate_cohort``, on
    ``executor`` or ``workers`` processes): their outcomes, recipients × 2 × outcomes."""
    sink = _Outcomes()
    simulate_cohort(scenario, n, seed, executor, workers=workers, records=sink, progress=progress)
    if not sink.rows:
        return np.zeros((0, 2, len(OUTCOMES)))
    return np.concatenate(sink.rows)


@contextmanager
def runner(executor: Executor | None, workers: int | None) -> Iterator[tuple[Executor | None, int]]:
    """One executor for many cohorts (a pool started once), and the number of workers."""
    count = workers or os.cpu_count() or 1
    if executor is not None or count == 1:
        yield executor, count
        return
    with ProcessPoolExecutor(max_workers=count) as started:
        yield started, count
