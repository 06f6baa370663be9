"""What a cohort counts and what it comes to: tallies that add up in any order, the summary.

Workers return tallies, not timelines: counts per outcome and code, and value counts of the key
times (to the minute) and doses (to the IEQ/kg), per procedure case; and per recipient, the
course's counts (``isletflow.course_summary``). Tallies add up the same in any order, so the
summary is identical however the cohort is split. Percentiles are exact on those quantised
values (nearest rank).
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from .case import Case
from .course_summary import CourseSummary, CourseTally
from .duration import IsoDuration

__all__ = [
    "CohortSummary",
    "Count",
    "OutcomeCount",
    "Percentiles",
    "Tally",
]

TIMES = ("cold_ischemia", "isolation_to_infusion", "release_to_infusion", "total")
"""Key times: cross-clamp to isolation; start of isolation to start of infusion; release to
start of infusion; cross-clamp to the case's end."""

_MINUTE = timedelta(minutes=1)


# -- Tallies (what workers send back) --------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """Counts from some cases of a cohort; ``merge`` adds another in."""

    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    release_failures: Counter[str] = field(default_factory=Counter)
    complications: Counter[str] = field(default_factory=Counter)
    infused: int = 0
    paused: int = 0
    partial_dose: int = 0
    groups: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    minutes: dict[str, Counter[int]] = field(default_factory=lambda: {t: Counter() for t in TIMES})
    dose: Counter[int] = field(default_factory=Counter)
    courses: CourseTally = field(default_factory=CourseTally)

    def add(self, case: Case) -> None:
        """Count one ended case."""
        outcome = case.outcome
        assert outcome is not None  # the simulator runs each case to its end
        record = case.record
        clamp = case.donor.cross_clamp_at
        self.cases += 1
        self.outcomes[outcome.status] += 1
        self.codes[outcome.status, outcome.code or ""] += 1
        if outcome.status == "discarded" and outcome.code:
            for sub in outcome.code.split("+"):
                self.release_failures[sub] += 1
        for complication in record.complications:
            self.complications[complication.kind] += 1
        if record.infusion_started_at is not None:
            self.infused += 1
            approach = case.approach.value
            unsealed = "none" if approach == "percutaneous" else "no track"
            for group in (("approach", approach), ("sealant", record.track_sealant or unsealed)):
                self.groups[(*group, "")] += 1  # the procedures ("" sorts first)
                self.groups.update((*group, c.kind) for c in record.complications)
        if any(getattr(e, "target", None) == "infuse.paused" for e in case.timeline):
            self.paused += 1
        if record.fraction_delivered is not None and record.fraction_delivered < 1:
            self.partial_dose += 1
        started, infused = record.isolation_started_at, record.infusion_started_at
        _minutes(self.minutes["cold_ischemia"], clamp, started)
        _minutes(self.minutes["isolation_to_infusion"], started, infused)
        _minutes(self.minutes["release_to_infusion"], record.released_at, infused)
        _minutes(self.minutes["total"], clamp, outcome.at)
        if record.dose_delivered_ieq_per_kg is not None:
            self.dose[round(record.dose_delivered_ieq_per_kg)] += 1

    def merge(self, other: Tally) -> None:
        for name in ("cases", "infused", "paused", "partial_dose"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("outcomes", "codes", "release_failures", "complications", "groups", "dose"):
            getattr(self, name).update(getattr(other, name))
        for name, counts in other.minutes.items():
            self.minutes[name].update(counts)
        self.courses.merge(other.courses)


def _minutes(into: Counter[int], since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None:
        into[round((until - since) / _MINUTE)] += 1


# -- The summary (what a caller gets) ---------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Count(_Model):
    count: int
    rate: float


class OutcomeCount(_Model):
    count: int
    rate: float
    codes: dict[str, Count]


class Percentiles(_Model):
    """Nearest-rank percentiles of a quantity over the cases that have it."""

    count: int
    mean: float
    min: float
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float
    max: float


class TimePercentiles(_Model):
    """Percentiles of a duration, to the minute."""

    count: int
    mean: IsoDuration
    min: IsoDuration
    p5: IsoDuration
    p25: IsoDuration
    p50: IsoDuration
    p75: IsoDuration
    p95: IsoDuration
    max: IsoDuration


class CohortSummary(_Model):
    """What a cohort came to: per procedure case (one per donor offered to a recipient),
    outcomes, codes, complications, key times, doses; per recipient, ``course``.

    Outcome, release and infusion rates are over all cases; complications, pauses (however the
    infusion then ended) and partial doses over ``infused``, the procedures. ``groups``: those
    per procedure by approach and by sealant (``none`` left open, ``no track`` surgical).
    """

    scenario: str
    seed: int
    cases: int
    outcomes: dict[str, OutcomeCount]
    release_failures: dict[str, Count]
    complications: dict[str, Count]
    infused: Count
    infusion_paused: Count
    partial_dose: Count
    groups: dict[str, dict[str, dict[str, Count]]]
    times: dict[str, TimePercentiles | None]
    dose_ieq_per_kg: Percentiles | None
    course: CourseSummary

    @classmethod
    def from_tally(cls, tally: Tally, *, scenario: str, seed: int) -> CohortSummary:
        n, procedures = tally.cases, tally.infused

        def count(k: int, of: int = n) -> Count:
            return Count(count=k, rate=round(k / of, 6) if of else 0.0)

        groups: dict[str, dict[str, dict[str, Count]]] = {}
        for (group, value, what), k in sorted(tally.groups.items()):
            of = tally.groups[group, value, ""] if what else n
            groups.setdefault(group, {}).setdefault(value, {})[what or "infused"] = count(k, of)

        outcomes = {}
        pairs = sorted(tally.codes.items())
        for status in sorted(tally.outcomes):
            codes = {code or "(none)": count(k) for (s, code), k in pairs if s == status}
            total = count(tally.outcomes[status])
            outcomes[status] = OutcomeCount(count=total.count, rate=total.rate, codes=codes)
        times = {name: _time_percentiles(tally.minutes[name]) for name in TIMES}
        return cls(
            scenario=scenario,
            seed=seed,
            cases=n,
            outcomes=outcomes,
            release_failures={k: count(v) for k, v in sorted(tally.release_failures.items())},
            complications={k: count(v, procedures) for k, v in sorted(tally.complications.items())},
            infused=count(tally.infused),
            infusion_paused=count(tally.paused, procedures),
            partial_dose=count(tally.partial_dose, procedures),
            groups=groups,
            times=times,
            dose_ieq_per_kg=Percentiles(**dose) if (dose := _percentiles(tally.dose)) else None,
            course=CourseSummary.from_tally(tally.courses),
        )


def _time_percentiles(minutes: Counter[int]) -> TimePercentiles | None:
    stats = _percentiles(minutes)
    return (
        None
        if not stats
        else TimePercentiles(**{k: v if k == "count" else _MINUTE * v for k, v in stats.items()})
    )


_RANKS = {"p5": 5, "p25": 25, "p50": 50, "p75": 75, "p95": 95}  # percent


def _percentiles(counts: Counter[int]) -> dict[str, Any] | None:
    """Count, mean, extremes and nearest-rank percentiles of the values ``counts`` counts:
    each percentile the first value whose running count reaches its rank (a bisection of the
    running counts, which grow with each value)."""
    total = sum(counts.values())
    if not total:
        return None
    values = sorted(counts)
    running = list(itertools.accumulate(map(counts.__getitem__, values)))
    out: dict[str, Any] = {"count": total, "min": values[0], "max": values[-1]}
    for name, p in _RANKS.items():
        rank = max(1, math.ceil(p / 100 * total))
        out[name] = values[bisect.bisect_left(running, rank)]
    mean = sum(map(operator.mul, counts.keys(), counts.values())) / total
    out["mean"] = round(mean, 2)
    return out
