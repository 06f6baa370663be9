"""Course summaries' dose groups: running totals per dose step give what the scans of the rows
per dose and per band gave."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import given

from isletflow import course_summary
from isletflow.cohort import run_chunk
from isletflow.course_summary import DOSE_BANDS, CourseSummary, CourseTally, DoseGroup
from isletflow.model.graft import GRADES
from isletflow.scenario import Scenario
from strategies_model import one_year_counts

POPULATION = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "population.yaml"

Row = tuple[tuple[int, bool, bool, str], int]
_STEP = 10  # IEQ/kg: the step of cumulative dose the counts are made to


def _scanned_group(rows: list[Row]) -> DoseGroup | None:
    """A dose group as ``from_tally`` made it before: each share a pass over the group's rows."""
    n = sum(v for _, v in rows)
    if not n:
        return None

    def share(k: int) -> course_summary.Share:
        return course_summary.Share(count=k, rate=round(k / n, 6))

    return DoseGroup(
        lowest_ieq_per_kg=rows[0][0][0] * _STEP,
        highest_ieq_per_kg=rows[-1][0][0] * _STEP,
        recipients=n,
        insulin_independent=share(sum(v for k, v in rows if k[1])),
        hba1c_below_7_without_severe_hypoglycaemia=share(sum(v for k, v in rows if k[2])),
        graft_failure=share(sum(v for k, v in rows if k[3] == GRADES[-1])),
    )


def _scanned_tertiles(rows: list[Row]) -> list[Any]:
    """The tertiles as ``from_tally`` made them before: every row scanned per distinct dose."""
    total = sum(v for _, v in rows)
    cuts = [math.ceil(total / 3), math.ceil(2 * total / 3), total]
    groups: list[list[Row]] = [[], [], []]
    seen, doses = 0, sorted({k[0] for k, _ in rows})
    for dose in doses:
        at = [(k, v) for k, v in rows if k[0] == dose]
        which = next(i for i, cut in enumerate(cuts) if seen < cut)
        groups[which] += at
        seen += sum(v for _, v in at)
    return [g for group in groups if (g := _scanned_group(group)) is not None]


def _scanned_bands(rows: list[Row]) -> list[Any]:
    """The dose bands as ``from_tally`` made them before: every row scanned per band."""
    edges = [*(e // _STEP for e in DOSE_BANDS), math.inf]
    found = (
        _scanned_group([(k, v) for k, v in rows if low <= k[0] < high])
        for low, high in itertools.pairwise(edges)
    )
    return [g for g in found if g is not None]


@given(one_year_counts)
def test_dose_groups_equal_the_scans(counts: dict[tuple[int, bool, bool, str], int]) -> None:
    """Any one-year counts: the same three tertiles and the same bands (bounds, recipients,
    shares) as before (dose steps spread over all the bands)."""
    spread = Counter({(step * 60, *rest): v for (step, *rest), v in counts.items()})
    rows = sorted(spread.items())
    summary = CourseSummary.from_tally(CourseTally(one_year=spread))
    assert summary.by_dose_tertile == _scanned_tertiles(rows)
    assert summary.by_dose_band == _scanned_bands(rows)


def test_a_cohorts_summary_has_the_tertiles_of_the_scan_per_dose() -> None:
    """On 600 recipients of population.yaml (many share a dose step), the summary's tertiles
    are the old ones, and they split the assessed recipients in three."""
    text = Scenario.load(POPULATION).model_dump_json()
    tally = run_chunk(text, 2026, 0, 600, engine="vector").tally
    rows = sorted(tally.courses.one_year.items())
    assert len({k[0] for k, _ in rows}) < sum(v for _, v in rows)  # doses shared
    summary = CourseSummary.from_tally(tally.courses)
    assert summary.by_dose_tertile == _scanned_tertiles(rows)
    assert len(summary.by_dose_tertile) == 3
    assert sum(g.recipients for g in summary.by_dose_tertile) == sum(v for _, v in rows)
