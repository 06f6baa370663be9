"""What a cohort's recipients came to: infusions, and the graft by dose and over the years.

``CourseTally`` counts course records (``course_run.course_record``) and adds up in any order,
like the cases' tally; ``CourseSummary`` is what a caller reads: eligibility, infusions per
recipient, insulin independence one year after the last infusion by tertile of cumulative
delivered dose and by dose band, and the follow-up years after the first infusion.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from .model.graft import GRADES

__all__ = ["CourseSummary", "CourseTally"]

DOSE_BANDS = (0, 10_000, 15_000, 20_000)
"""Lower edges of the cumulative-dose bands, IEQ/kg (the last band is open)."""

_DOSE_STEP = 10  # IEQ/kg: cumulative doses are counted to this step


@dataclass(slots=True)
class CourseTally:
    """Counts from some recipients' courses; ``merge`` adds another in."""

    recipients: int = 0
    eligible: int = 0
    infusions: Counter[int] = field(default_factory=Counter)
    # (cumulative dose step, insulin-independent, HbA1c < 7 % without severe events, igls)
    one_year: Counter[tuple[int, bool, bool, str]] = field(default_factory=Counter)
    # (year after the first infusion, insulin-independent, igls)
    years: Counter[tuple[int, bool, str]] = field(default_factory=Counter)

    def add(self, record: dict[str, Any]) -> None:
        """Count one recipient's course record."""
        self.recipients += 1
        self.eligible += bool(record["eligible"])
        if record["eligible"]:
            self.infusions[record["infusions"]] += 1
        last = record["one_year_after_last_infusion"]
        if last is not None:
            step = round(record["cumulative_ieq_per_kg"] / _DOSE_STEP)
            controlled = last["hba1c_percent"] < 7.0 and last["severe_hypoglycaemia_events"] == 0
            self.one_year[step, last["insulin_independent"], controlled, last["igls"]] += 1
        for seen in record["follow_up"]:
            self.years[seen["year"], seen["insulin_independent"], seen["igls"]] += 1

    def merge(self, other: CourseTally) -> None:
        self.recipients += other.recipients
        self.eligible += other.eligible
        for name in ("infusions", "one_year", "years"):
            getattr(self, name).update(getattr(other, name))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Share(_Model):
    count: int
    rate: float


def _share(k: int, of: int) -> Share:
    return Share(count=k, rate=round(k / of, 6) if of else 0.0)


class DoseGroup(_Model):
    """Recipients one year after their last infusion, within a range of cumulative dose."""

    lowest_ieq_per_kg: float
    highest_ieq_per_kg: float
    recipients: int
    insulin_independent: Share
    hba1c_below_7_without_severe_hypoglycaemia: Share
    graft_failure: Share


class YearOutcome(_Model):
    """The recipients assessed a year after the first infusion: function and grade."""

    year: int
    recipients: int
    insulin_independent: Share
    graft_function: Share
    igls: dict[str, Share]


class CourseSummary(_Model):
    """What the recipients came to (rates of infusions over eligible recipients; outcomes over
    the recipients assessed)."""

    recipients: int
    eligible: Share
    infusions: dict[str, Share]
    infusions_per_recipient: float
    insulin_independent_one_year_after_last: Share
    by_dose_tertile: list[DoseGroup]
    by_dose_band: list[DoseGroup]
    follow_up: list[YearOutcome]

    @classmethod
    def from_tally(cls, tally: CourseTally) -> CourseSummary:
        infused = {k: v for k, v in tally.infusions.items() if k}
        treated = sum(infused.values())
        mean = sum(k * v for k, v in infused.items()) / treated if treated else 0.0
        rows = sorted(tally.one_year.items())
        assessed = sum(tally.one_year.values())
        independent = sum(v for (_, ii, _, _), v in rows if ii)
        return cls(
            recipients=tally.recipients,
            eligible=_share(tally.eligible, tally.recipients),
            infusions={
                str(k): _share(v, tally.eligible) for k, v in sorted(tally.infusions.items())
            },
            infusions_per_recipient=round(mean, 4),
            insulin_independent_one_year_after_last=_share(independent, assessed),
            by_dose_tertile=_tertiles(rows),
            by_dose_band=_bands(rows),
            follow_up=_years(tally.years),
        )


Row = tuple[tuple[int, bool, bool, str], int]


def _group(rows: list[Row]) -> DoseGroup | None:
    n = sum(v for _, v in rows)
    if not n:
        return None
    return DoseGroup(
        lowest_ieq_per_kg=rows[0][0][0] * _DOSE_STEP,
        highest_ieq_per_kg=rows[-1][0][0] * _DOSE_STEP,
        recipients=n,
        insulin_independent=_share(sum(v for k, v in rows if k[1]), n),
        hba1c_below_7_without_severe_hypoglycaemia=_share(sum(v for k, v in rows if k[2]), n),
        graft_failure=_share(sum(v for k, v in rows if k[3] == GRADES[-1]), n),
    )


def _tertiles(rows: list[Row]) -> list[DoseGroup]:
    """Three groups of cumulative dose (nearest rank; a dose's recipients stay together).

    One pass over the rows in dose order, a dose's rows taken together, with the count seen so
    far: O(rows · log rows) for the sort, where a scan of every row per distinct dose grew with
    their product."""
    total = sum(v for _, v in rows)
    cuts = [math.ceil(total / 3), math.ceil(2 * total / 3), total]
    groups: list[list[Row]] = [[], [], []]
    seen, which = 0, 0
    for _, same_dose in itertools.groupby(sorted(rows), key=lambda row: row[0][0]):
        at = list(same_dose)
        while seen >= cuts[which]:
            which += 1
        groups[which] += at
        seen += sum(v for _, v in at)
    return [g for group in groups if (g := _group(group)) is not None]


def _bands(rows: list[Row]) -> list[DoseGroup]:
    edges = [*(e // _DOSE_STEP for e in DOSE_BANDS), math.inf]
    found = []
    for low, high in itertools.pairwise(edges):
        group = _group([(k, v) for k, v in rows if low <= k[0] < high])
        if group is not None:
            found.append(group)
    return found


def _years(years: Counter[tuple[int, bool, str]]) -> list[YearOutcome]:
    out = []
    for year in sorted({y for y, _, _ in years}):
        at = {(ii, grade): v for (y, ii, grade), v in years.items() if y == year}
        n = sum(at.values())
        grades = {g: sum(v for (_, grade), v in at.items() if grade == g) for g in GRADES}
        out.append(
            YearOutcome(
                year=year,
                recipients=n,
                insulin_independent=_share(sum(v for (ii, _), v in at.items() if ii), n),
                graft_function=_share(n - grades[GRADES[-1]], n),
                igls={g: _share(k, n) for g, k in grades.items()},
            )
        )
    return out
