"""What a cohort's recipients came to: infusions, and the graft by dose and over the years.

``CourseTally`` counts course records (``course_run.course_record``) and adds up in any order,
like the cases' tally; ``CourseSummary`` is what a caller reads: eligibility, infusions per
recipient, insulin independence one year after the last infusion by tertile of cumulative
delivered dose and by dose band, and the follow-up years after the first infusion.
"""

from __future__ import annotations

import bisect
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
        by_dose = _ByDose.of(tally.one_year)
        assessed, independent = by_dose.running[0][-1], by_dose.running[1][-1]
        return cls(
            recipients=tally.recipients,
            eligible=_share(tally.eligible, tally.recipients),
            infusions={
                str(k): _share(v, tally.eligible) for k, v in sorted(tally.infusions.items())
            },
            infusions_per_recipient=round(mean, 4),
            insulin_independent_one_year_after_last=_share(independent, assessed),
            by_dose_tertile=by_dose.tertiles(),
            by_dose_band=by_dose.bands(),
            follow_up=_years(tally.years),
        )


@dataclass(slots=True)
class _ByDose:
    """The one-year counts by cumulative dose step, in dose order: the steps, and running totals
    (one more than the steps, from 0) of recipients, of the insulin-independent, of those with
    HbA1c < 7 % without severe events, and of failed grafts, so that a run of steps is counted
    by two look-ups instead of a pass over its rows."""

    steps: list[int]
    running: list[list[int]]

    @classmethod
    def of(cls, one_year: Counter[tuple[int, bool, bool, str]]) -> _ByDose:
        """``CourseTally.one_year``'s counts, added up per dose step."""
        at: dict[int, list[int]] = {}
        for (step, independent, controlled, grade), k in one_year.items():
            counts = at.setdefault(step, [0, 0, 0, 0])
            counts[0] += k
            counts[1] += k if independent else 0
            counts[2] += k if controlled else 0
            counts[3] += k if grade == GRADES[-1] else 0
        steps = sorted(at)
        running = [
            list(itertools.accumulate((at[s][i] for s in steps), initial=0)) for i in range(4)
        ]
        return cls(steps, running)

    def group(self, low: int, high: int) -> DoseGroup | None:
        """The recipients of steps ``low`` … ``high - 1`` (by position; None if none)."""
        n, independent, controlled, failed = (r[high] - r[low] for r in self.running)
        if not n:
            return None
        return DoseGroup(
            lowest_ieq_per_kg=self.steps[low] * _DOSE_STEP,
            highest_ieq_per_kg=self.steps[high - 1] * _DOSE_STEP,
            recipients=n,
            insulin_independent=_share(independent, n),
            hba1c_below_7_without_severe_hypoglycaemia=_share(controlled, n),
            graft_failure=_share(failed, n),
        )

    def tertiles(self) -> list[DoseGroup]:
        """Three groups of cumulative dose (nearest rank; a dose's recipients stay together):
        the second starts at the first step with a third of the recipients below it, the third
        at the first with two thirds."""
        below, last = self.running[0], len(self.steps)
        total = below[-1]
        cuts = (math.ceil(total / 3), math.ceil(2 * total / 3))
        starts = [0, *(bisect.bisect_left(below, cut, 0, last) for cut in cuts), last]
        return self._groups(starts)

    def bands(self) -> list[DoseGroup]:
        """The groups of ``DOSE_BANDS`` that hold recipients."""
        edges = (bisect.bisect_left(self.steps, e // _DOSE_STEP) for e in DOSE_BANDS)
        return self._groups([*edges, len(self.steps)])

    def _groups(self, starts: list[int]) -> list[DoseGroup]:
        """The groups from each of ``starts`` to the next that hold recipients."""
        pairs = itertools.pairwise(starts)
        return [g for low, high in pairs if (g := self.group(low, high)) is not None]


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
