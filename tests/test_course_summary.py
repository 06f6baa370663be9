"""Course summaries' dose tertiles: the one-pass grouping gives what the scan per dose gave."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import given

from isletflow import course_summary
from isletflow.cohort import run_chunk
from isletflow.course_summary import CourseSummary, Row
from isletflow.scenario import Scenario
from strategies_model import one_year_counts

POPULATION = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "population.yaml"


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
    return [g for group in groups if (g := course_summary._group(group)) is not None]


@given(one_year_counts)
def test_tertiles_equal_the_scan_per_dose(counts: dict[tuple[int, bool, bool, str], int]) -> None:
    """Any one-year counts: the same three groups (bounds, recipients, shares) as before."""
    rows = sorted(Counter(counts).items())
    assert course_summary._tertiles(rows) == _scanned_tertiles(rows)


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
